#include "core/repair/registry_placement.h"

#include "absl/strings/match.h"
#include "core/placement/churn.h"

namespace cairn::repair {

// NODE_UP's placement weight (registry: "0: derived from capacity").
double registered_weight(const meta::wire::StorageNode& n) {
  if (n.weight() > 0) return n.weight();
  if (n.capacity_bytes() > 0) return static_cast<double>(n.capacity_bytes()) / (1ull << 30);
  return 1.0;
}

absl::StatusOr<std::shared_ptr<const placement::PlacementPolicy>> registry_placement(
    std::shared_ptr<const placement::PlacementPolicy> configured,
    const std::map<uint32_t, meta::wire::StorageNode>& registry, uint64_t registry_epoch) {
  if (registry.empty()) return configured;
  placement::Membership m;
  m.epoch = configured->epoch() + registry_epoch;
  const placement::Topology& topo = configured->topology();
  std::map<NodeId, placement::Node> nodes;
  for (uint32_t i = 0; i < topo.size(); ++i) nodes[topo.node(i).id] = topo.node(i);
  for (const auto& [id, n] : registry) {
    if (n.state() != meta::wire::NODE_UP) {
      nodes.erase(id);
      continue;
    }
    placement::Node& node = nodes[id];
    node.id = id;
    if (!n.zone().empty()) node.zone = n.zone();
    node.weight = registered_weight(n);
  }
  for (auto& [id, node] : nodes) m.nodes.push_back(node);
  if (m.nodes.empty()) {
    return absl::InvalidArgumentError("the node registry leaves no storage node to place on");
  }
  placement::PolicyChoice choice;
  if (absl::StartsWith(configured->name(), "rendezvous")) {
    choice.kind = placement::PolicyKind::kRendezvous;
  }
  auto policy = placement::make_policy(choice, m);
  if (!policy.ok()) return policy.status();
  return std::shared_ptr<const placement::PlacementPolicy>(std::move(*policy));
}

}  // namespace cairn::repair
