#include "core/placement/topology.h"

#include <cmath>
#include <map>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace cairn::placement {

absl::StatusOr<Topology> Topology::build(const Membership& membership) {
  if (membership.nodes.empty()) return absl::InvalidArgumentError("membership has no nodes");
  Topology t;
  t.epoch_ = membership.epoch;
  t.nodes_ = membership.nodes;
  absl::flat_hash_set<NodeId> ids;
  std::map<std::string, int> zones;
  std::map<std::pair<std::string, std::string>, int> racks;
  for (const Node& node : t.nodes_) {
    if (!ids.insert(node.id).second) {
      return absl::InvalidArgumentError(absl::StrCat("node id ", node.id, " appears twice"));
    }
    if (!(node.weight > 0) || !std::isfinite(node.weight)) {
      return absl::InvalidArgumentError(
          absl::StrCat("node ", node.id, " has weight ", node.weight, "; need > 0"));
    }
    auto zone = zones.try_emplace(node.zone, static_cast<int>(zones.size())).first;
    auto rack = racks.try_emplace({node.zone, node.rack}, static_cast<int>(racks.size())).first;
    t.zone_.push_back(zone->second);
    t.rack_.push_back(rack->second);
  }
  t.zone_count_ = static_cast<int>(zones.size());
  t.rack_count_ = static_cast<int>(racks.size());
  CAIRN_ASSERT(t.zone_count_ <= t.rack_count_);
  CAIRN_ASSERT(t.rack_count_ <= static_cast<int>(t.nodes_.size()));
  return t;
}

absl::StatusOr<std::vector<uint32_t>> pick_diverse(const Topology& topology, Walk walk, int count,
                                                   absl::FunctionRef<bool(uint32_t)> eligible) {
  if (count < 0 || static_cast<size_t>(count) > topology.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot place ", count, " shards on ", topology.size(), " nodes"));
  }
  std::vector<uint32_t> picks;
  picks.reserve(static_cast<size_t>(count));
  std::vector<bool> node_used(topology.size()), zone_used(topology.zone_count()),
      rack_used(topology.rack_count());
  auto pass = [&](int target, auto admissible) {
    if (static_cast<int>(picks.size()) >= target) return;
    walk([&](uint32_t i) {
      if (!node_used[i] && admissible(i) && eligible(i)) {
        picks.push_back(i);
        node_used[i] = true;
        zone_used[static_cast<size_t>(topology.zone_of(i))] = true;
        rack_used[static_cast<size_t>(topology.rack_of(i))] = true;
      }
      return static_cast<int>(picks.size()) >= target;
    });
  };
  pass(std::min(count, topology.zone_count()),
       [&](uint32_t i) { return !zone_used[static_cast<size_t>(topology.zone_of(i))]; });
  pass(std::min(count, topology.rack_count()),
       [&](uint32_t i) { return !rack_used[static_cast<size_t>(topology.rack_of(i))]; });
  pass(count, [](uint32_t) { return true; });
  if (static_cast<int>(picks.size()) < count) {
    return absl::ResourceExhaustedError(
        absl::StrCat("only ", picks.size(), " of ", count, " shards could be placed"));
  }
  CAIRN_ASSERT(static_cast<int>(picks.size()) == count);
  return picks;
}

}  // namespace cairn::placement
