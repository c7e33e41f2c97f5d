// The placement repair follows on the meta leader: the configured storage members
// (storage::storage_placement), as the namespace's node registry amends them.
//
// Promises:
//   - with nothing registered, the configured policy itself (the same object);
//   - a registered node overrides its configured entry: NODE_DRAINING and NODE_DEAD leave
//     the placement (weight 0: every shard on them is to move), NODE_UP places with its
//     weight (0: its capacity in GiB; no capacity either: 1) in its zone (empty: the
//     configured one); a node registered UP that was not configured joins (with no rack,
//     as storage::storage_placement configures its members);
//   - the epoch is the configured one plus the registry's, so every registry change is a
//     later epoch (a placement change for the planner, planner.h);
//   - the policy is of the configured one's kind (a ring or rendezvous hashing);
//     InvalidArgument when no node is left to place on.
#pragma once

#include <cstdint>
#include <map>
#include <memory>

#include "absl/status/statusor.h"
#include "core/meta/namespace.pb.h"
#include "core/placement/policy.h"

namespace cairn::repair {

// The weight a NODE_UP registration places with (its weight; 0: capacity in GiB, else 1).
double registered_weight(const meta::wire::StorageNode& node);

absl::StatusOr<std::shared_ptr<const placement::PlacementPolicy>> registry_placement(
    std::shared_ptr<const placement::PlacementPolicy> configured,
    const std::map<uint32_t, meta::wire::StorageNode>& registry, uint64_t registry_epoch);

}  // namespace cairn::repair
