#include "core/placement/mirror.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/placement/rendezvous.h"

namespace cairn::placement {

std::vector<NodePair> suggest_pairs(const Membership& membership) {
  std::map<std::string, std::vector<NodeId>> by_zone;
  for (const Node& node : membership.nodes) by_zone[node.zone].push_back(node.id);
  for (auto& [zone, ids] : by_zone) std::sort(ids.begin(), ids.end());
  std::vector<NodeId> interleaved;
  for (size_t round = 0; interleaved.size() < membership.nodes.size(); ++round) {
    for (const auto& [zone, ids] : by_zone) {
      if (round < ids.size()) interleaved.push_back(ids[round]);
    }
  }
  std::vector<NodePair> pairs;
  for (size_t i = 0; i + 1 < interleaved.size(); i += 2) {
    pairs.emplace_back(interleaved[i], interleaved[i + 1]);
  }
  return pairs;
}

std::vector<NodePair> re_pair(const std::vector<NodePair>& pairs, const Membership& now) {
  std::map<NodeId, std::string> zone;
  for (const Node& node : now.nodes) zone[node.id] = node.zone;
  std::vector<NodePair> out;
  std::set<NodeId> paired;
  for (const auto& [a, b] : pairs) {
    if (zone.count(a) == 0 || zone.count(b) == 0 || paired.count(a) || paired.count(b)) continue;
    out.emplace_back(a, b);
    paired.insert(a);
    paired.insert(b);
  }
  std::vector<NodeId> single;  // in id order (zone is a sorted map)
  for (const auto& [id, z] : zone) {
    if (paired.count(id) == 0) single.push_back(id);
  }
  while (single.size() >= 2) {
    const NodeId a = single.front();
    auto other = std::find_if(single.begin() + 1, single.end(),
                              [&](NodeId id) { return zone.at(id) != zone.at(a); });
    if (other == single.end()) other = single.begin() + 1;
    out.emplace_back(a, *other);
    single.erase(other);
    single.erase(single.begin());
  }
  return out;
}

Membership membership_of(const Topology& topology) {
  Membership m;
  m.epoch = topology.epoch();
  for (uint32_t i = 0; i < topology.size(); ++i) m.nodes.push_back(topology.node(i));
  return m;
}

absl::StatusOr<std::shared_ptr<const MirrorPairs>> mirror_over(const Topology& first,
                                                               const Topology& now) {
  const Membership members = membership_of(now);
  auto built = MirrorPairs::build(members, re_pair(suggest_pairs(membership_of(first)), members));
  if (!built.ok()) return built.status();
  return std::make_shared<const MirrorPairs>(std::move(*built));
}

MirrorPairs::MirrorPairs(Topology topology, std::vector<NodePair> pairs)
    : topology_(std::move(topology)), pairs_(std::move(pairs)) {
  absl::flat_hash_map<NodeId, double> weight;
  for (uint32_t i = 0; i < topology_.size(); ++i)
    weight[topology_.node(i).id] = topology_.node(i).weight;
  for (const auto& [a, b] : pairs_) {
    pair_hashes_.push_back(rendezvous_id_hash(a));
    pair_weights_.push_back(std::min(weight.at(a), weight.at(b)));
  }
}

absl::StatusOr<MirrorPairs> MirrorPairs::build(const Membership& membership,
                                               std::vector<NodePair> pairs) {
  auto topology = Topology::build(membership);
  if (!topology.ok()) return topology.status();
  if (pairs.empty()) return absl::InvalidArgumentError("mirror policy needs at least one pair");
  absl::flat_hash_map<NodeId, int> uses;
  for (const Node& node : membership.nodes) uses[node.id] = 0;
  for (const auto& [a, b] : pairs) {
    for (NodeId id : {a, b}) {
      auto it = uses.find(id);
      if (it == uses.end() || ++it->second > 1) {
        return absl::InvalidArgumentError(
            absl::StrCat("mirror pair names node ", id, " twice or not a member"));
      }
    }
  }
  return MirrorPairs(std::move(*topology), std::move(pairs));
}

std::string MirrorPairs::name() const { return absl::StrCat("mirror(", pairs_.size(), " pairs)"); }

absl::StatusOr<std::vector<NodeId>> MirrorPairs::place(uint64_t key, int count) const {
  if (count < 0 || count % 2 != 0 || static_cast<size_t>(count / 2) > pairs_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("mirror placement of ", count, " shards needs an even count and ",
                     pairs_.size(), " pairs hold at most ", 2 * pairs_.size()));
  }
  std::vector<std::pair<double, size_t>> ranked(pairs_.size());
  for (size_t i = 0; i < pairs_.size(); ++i) {
    ranked[i] = {rendezvous_score(key, pair_hashes_[i], pair_weights_[i]), i};
  }
  const auto half = ranked.begin() + count / 2;
  std::partial_sort(ranked.begin(), half, ranked.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<NodeId> nodes;
  for (auto it = ranked.begin(); it != half; ++it) {
    nodes.push_back(pairs_[it->second].first);
    nodes.push_back(pairs_[it->second].second);
  }
  CAIRN_ASSERT(static_cast<int>(nodes.size()) == count);
  return nodes;
}

std::optional<NodeId> MirrorPairs::partner(NodeId node) const {
  for (const auto& [a, b] : pairs_) {
    if (a == node) return b;
    if (b == node) return a;
  }
  return std::nullopt;
}

}  // namespace cairn::placement
