// The placement a storage node's coordinator follows, as the meta leader tells it: the
// configured storage members amended by the namespace's node registry (a draining node
// left, a registered node joined, weights changed), so new writes are placed as repair
// places moves (core/repair/registry_placement.h). Message kPlacementUpdate
// (core/storage/rebuild.proto), sent by repair::RepairService on the leader whenever the
// registry's placement changes and again every few seconds while one is in force.
//
// Promises:
//   - an update of a later epoch than the one in force is built into a policy of its kind
//     and handed to `apply` (the coordinator's set_placement); an update of the same or an
//     earlier epoch changes nothing (a re-send, or one overtaken by a newer one);
//   - an unreadable update, or one naming no member, a member twice, a weight that is not
//     > 0, or an unknown kind, changes nothing: counter storage_bad_placement_updates and
//     the event placement_refused (reason);
//   - the event placement_learned (epoch, nodes) marks each change.
// Threading: the node's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "core/placement/policy.h"
#include "core/runtime/service.h"
#include "core/storage/rebuild.pb.h"

namespace cairn::storage {

// The update that describes `policy` (its members, epoch and kind).
wire::PlacementUpdate placement_update(const placement::PlacementPolicy& policy);
// The policy an update describes. InvalidArgument naming the fault (see above).
absl::StatusOr<std::shared_ptr<const placement::PlacementPolicy>> placement_from(
    const wire::PlacementUpdate& update);

class PlacementListener final : public Service {
 public:
  using Apply = std::function<void(std::shared_ptr<const placement::PlacementPolicy>)>;

  // `epoch`: the epoch of the placement in force (the configured one's).
  PlacementListener(Runtime& rt, uint64_t epoch, Apply apply);
  static std::vector<MessageType> types();
  std::vector<MessageType> message_types() const override { return types(); }
  void start() override {}
  void on_message(NodeId from, const Message& message) override;
  uint64_t epoch() const { return epoch_; }

 private:
  void refuse(const std::string& reason);

  Runtime& rt_;
  uint64_t epoch_;
  Apply apply_;
};

}  // namespace cairn::storage
