#include "core/placement/churn.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/placement/modulo.h"
#include "core/placement/rendezvous.h"
#include "core/placement/ring.h"

namespace cairn::placement {

std::string policy_kind_name(PolicyKind kind) {
  switch (kind) {
    case PolicyKind::kRing:
      return "ring";
    case PolicyKind::kRendezvous:
      return "rendezvous";
    case PolicyKind::kModulo:
      return "modulo";
  }
  return "unknown";
}

absl::StatusOr<std::unique_ptr<PlacementPolicy>> make_policy(const PolicyChoice& choice,
                                                             const Membership& membership) {
  auto wrap = [](auto built) -> absl::StatusOr<std::unique_ptr<PlacementPolicy>> {
    if (!built.ok()) return built.status();
    using Policy = typename decltype(built)::value_type;
    return std::unique_ptr<PlacementPolicy>(std::make_unique<Policy>(std::move(*built)));
  };
  switch (choice.kind) {
    case PolicyKind::kRing:
      return wrap(Ring::build(membership, {.vnodes_per_unit_weight = choice.vnodes}));
    case PolicyKind::kRendezvous:
      return wrap(Rendezvous::build(membership));
    case PolicyKind::kModulo:
      return wrap(Modulo::build(membership));
  }
  return absl::InvalidArgumentError("unknown placement policy");
}

double ChangeFigures::moved_over_ideal() const {
  return ideal_fraction > 0 ? moved_fraction / ideal_fraction : 0;
}

PlacedStripes::PlacedStripes(PolicyChoice choice, std::unique_ptr<PlacementPolicy> policy,
                             std::vector<uint64_t> keys, int count)
    : choice_(choice), policy_(std::move(policy)), keys_(std::move(keys)), count_(count) {}

absl::StatusOr<PlacedStripes> PlacedStripes::place(const PolicyChoice& choice,
                                                   const Membership& membership,
                                                   std::vector<uint64_t> keys, int count) {
  if (keys.empty()) return absl::InvalidArgumentError("no stripes to place");
  if (count < 1 || static_cast<size_t>(count) > membership.nodes.size()) {
    return absl::InvalidArgumentError(absl::StrCat("shards per stripe must be in [1, ",
                                                   membership.nodes.size(), "], got ", count));
  }
  auto policy = make_policy(choice, membership);
  if (!policy.ok()) return policy.status();
  PlacedStripes p(choice, std::move(*policy), std::move(keys), count);
  p.layouts_.reserve(p.keys_.size());
  for (uint64_t key : p.keys_) {
    auto nodes = p.policy_->place(key, count);
    if (!nodes.ok()) return nodes.status();
    p.layouts_.push_back(std::move(*nodes));
  }
  p.count_load();
  return p;
}

void PlacedStripes::count_load() {
  per_node_.clear();
  const Topology& topo = policy_->topology();
  for (uint32_t i = 0; i < topo.size(); ++i) per_node_[topo.node(i).id] = 0;
  for (const auto& layout : layouts_) {
    for (NodeId id : layout) {
      CAIRN_ASSERT(per_node_.contains(id));
      ++per_node_[id];
    }
  }
  load_ = LoadSpread{};
  load_.min = UINT64_MAX;
  for (const auto& [id, n] : per_node_) {
    load_.min = std::min(load_.min, n);
    load_.max = std::max(load_.max, n);
  }
  load_.mean = static_cast<double>(shards()) / static_cast<double>(per_node_.size());
  load_.max_over_mean = static_cast<double>(load_.max) / load_.mean;
  CAIRN_ASSERT(load_.min <= load_.max);
}

absl::StatusOr<ChangeFigures> PlacedStripes::change(const Membership& next) {
  if (next.epoch <= policy_->epoch()) {
    return absl::InvalidArgumentError(
        absl::StrCat("epoch ", next.epoch, " does not follow epoch ", policy_->epoch()));
  }
  if (next.nodes.size() < static_cast<size_t>(count_)) {
    return absl::InvalidArgumentError(absl::StrCat(next.nodes.size(), " nodes cannot hold ", count_,
                                                   " shards of a stripe apart"));
  }
  auto policy = make_policy(choice_, next);
  if (!policy.ok()) return policy.status();
  ChangeFigures f;
  std::set<NodeId> before, after;
  for (const auto& [id, n] : per_node_) before.insert(id);
  for (const Node& n : next.nodes) after.insert(n.id);
  double total_weight = 0, joined_weight = 0;
  for (const Node& n : next.nodes) {
    total_weight += n.weight;
    if (!before.contains(n.id)) {
      f.joined.push_back(n.id);
      joined_weight += n.weight;
    }
  }
  uint64_t left_shards = 0;
  for (NodeId id : before) {
    if (after.contains(id)) continue;
    f.left.push_back(id);
    left_shards += per_node_[id];
  }
  // Place everything before changing anything, so that a failure leaves the old placement.
  std::vector<std::vector<NodeId>> targets;
  targets.reserve(keys_.size());
  for (uint64_t key : keys_) {
    auto nodes = (*policy)->place(key, count_);
    if (!nodes.ok()) return nodes.status();
    targets.push_back(std::move(*nodes));
  }
  std::vector<ShardMove> moves;
  for (size_t i = 0; i < keys_.size(); ++i) reassign(keys_[i], layouts_[i], targets[i], moves);
  for (const ShardMove& m : moves) {
    if (after.contains(m.from) && before.contains(m.to)) ++f.moved_between_stayers;
  }
  policy_ = std::move(*policy);
  f.shards = shards();
  f.moved = moves.size();
  f.moved_fraction = static_cast<double>(f.moved) / static_cast<double>(f.shards);
  f.ideal_fraction = joined_weight / total_weight +
                     static_cast<double>(left_shards) / static_cast<double>(f.shards);
  count_load();
  f.load = load_;
  CAIRN_ASSERT(f.moved <= f.shards);
  return f;
}

}  // namespace cairn::placement
