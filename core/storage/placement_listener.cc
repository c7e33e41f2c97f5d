#include "core/storage/placement_listener.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/placement/churn.h"
#include "core/wire/message_types.h"

namespace cairn::storage {

wire::PlacementUpdate placement_update(const placement::PlacementPolicy& policy) {
  wire::PlacementUpdate out;
  out.set_epoch(policy.epoch());
  out.set_kind(absl::StartsWith(policy.name(), "rendezvous")
                   ? placement::policy_kind_name(placement::PolicyKind::kRendezvous)
                   : placement::policy_kind_name(placement::PolicyKind::kRing));
  const placement::Topology& topo = policy.topology();
  for (uint32_t i = 0; i < topo.size(); ++i) {
    wire::PlacementMember* m = out.add_members();
    m->set_id(topo.node(i).id);
    m->set_zone(topo.node(i).zone);
    m->set_rack(topo.node(i).rack);
    m->set_weight(topo.node(i).weight);
  }
  return out;
}

absl::StatusOr<std::shared_ptr<const placement::PlacementPolicy>> placement_from(
    const wire::PlacementUpdate& update) {
  placement::PolicyChoice choice;
  if (update.kind() == placement::policy_kind_name(placement::PolicyKind::kRendezvous)) {
    choice.kind = placement::PolicyKind::kRendezvous;
  } else if (update.kind() != placement::policy_kind_name(placement::PolicyKind::kRing)) {
    return absl::InvalidArgumentError(
        absl::StrCat("placement kind '", update.kind(), "' (ring or rendezvous)"));
  }
  placement::Membership m;
  m.epoch = update.epoch();
  std::set<NodeId> seen;
  for (const wire::PlacementMember& w : update.members()) {
    if (w.id() == kNoNode || !seen.insert(w.id()).second) {
      return absl::InvalidArgumentError(absl::StrCat("member n", w.id(), " is 0 or repeated"));
    }
    if (!(w.weight() > 0) || w.weight() > 1e9) {
      return absl::InvalidArgumentError(
          absl::StrCat("member n", w.id(), " has weight ", w.weight()));
    }
    m.nodes.push_back({w.id(), w.zone(), w.rack(), w.weight()});
  }
  if (m.nodes.empty()) return absl::InvalidArgumentError("a placement with no member");
  auto policy = placement::make_policy(choice, m);
  if (!policy.ok()) return policy.status();
  return std::shared_ptr<const placement::PlacementPolicy>(std::move(*policy));
}

PlacementListener::PlacementListener(Runtime& rt, uint64_t epoch, Apply apply)
    : rt_(rt), epoch_(epoch), apply_(std::move(apply)) {}

std::vector<MessageType> PlacementListener::types() { return {cairn::wire::kPlacementUpdate}; }

void PlacementListener::refuse(const std::string& reason) {
  rt_.metrics().counter("storage_bad_placement_updates").add();
  rt_.log().event(Event{"placement_refused", {{"reason", reason}}});
}

void PlacementListener::on_message(NodeId, const Message& message) {
  wire::PlacementUpdate update;
  if (!update.ParseFromString(message.header)) return refuse("unreadable placement update");
  if (update.epoch() <= epoch_) return;  // a re-send, or overtaken
  auto policy = placement_from(update);
  if (!policy.ok()) return refuse(std::string(policy.status().message()));
  epoch_ = update.epoch();
  rt_.log().event(Event{"placement_learned",
                        {{"epoch", static_cast<int64_t>(epoch_)},
                         {"nodes", static_cast<int64_t>((*policy)->topology().size())}}});
  apply_(std::move(*policy));
}

}  // namespace cairn::storage
