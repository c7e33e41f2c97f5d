// The storage roles, for the role table (core/roles/builtin.cc):
//   - `storage` (settings section `storage`): a node's shard store on its Disk (under
//     `cas/`), the shard protocol's server and client, a coordinator for the chunk
//     protocol, and a scrubber. Placement is a consistent-hash ring over the nodes with the
//     storage role, spread over their zones; liveness comes from the node's failure
//     detector when the membership role runs beside it.
//   - `chunk_client` (settings section `chunks`): cairn-sim's simulated clients that write
//     chunks and read them back (chunk_workload.h).
#pragma once

#include "core/base/settings.h"
#include "core/cas/scrubber.h"
#include "core/cas/shard_store.h"
#include "core/runtime/role.h"
#include "core/storage/coordinator.h"
#include "core/storage/rpc_shard_client.h"
#include "core/storage/storage_service.h"

namespace cairn::storage {

struct StorageOptions final : RoleOptionsBase<StorageOptions> {
  cas::ShardStoreOptions store;
  StorageServiceOptions service;
  CoordinatorOptions coordinator;
  uint64_t scrub_bytes_per_second = 20'000'000;  // 0: no scrubbing
  Duration scrub_rest = std::chrono::minutes(10);

  void visit(SettingsVisitor& v) override;
  absl::Status validate() const override;
};

RoleInfo storage_role();
// The placement every storage node's coordinator uses: a ring over the nodes holding the
// storage role, in their zones (repair on the meta leader chooses targets by it too).
absl::StatusOr<std::shared_ptr<const placement::PlacementPolicy>> storage_placement(
    const RoleContext& ctx);
RoleInfo chunk_client_role();

}  // namespace cairn::storage
