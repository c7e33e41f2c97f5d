#include "core/placement/copyset.h"

#include <algorithm>
#include <functional>
#include <set>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/placement/rendezvous.h"
#include "core/runtime/rng.h"

namespace cairn::placement {
namespace {

constexpr int kMaxPermutations = 10'000;
constexpr uint64_t kPrimarySalt = 0x7072696d61727921ULL;

using Group = std::vector<uint32_t>;  // node indices

// One permutation of the nodes, cut into groups of `size`, drawn zone by zone: each slot
// takes a random remaining node of the zone with the most nodes left among the zones not
// yet in its group (ties broken at random). With a single zone this is a uniform random
// permutation; taking the fullest zones first keeps every zone's remainder within the
// groups still to fill, so each full group spans min(size, zones) zones whenever the
// counts allow it (always for balanced zones).
std::vector<Group> draw_permutation(const Topology& t, int size, Rng& rng) {
  std::vector<std::vector<uint32_t>> left(static_cast<size_t>(t.zone_count()));
  for (uint32_t i = 0; i < t.size(); ++i) left[static_cast<size_t>(t.zone_of(i))].push_back(i);
  // (nodes left, random tie-break, zone), fullest first.
  std::set<std::tuple<size_t, uint64_t, int>, std::greater<>> zones;
  for (int z = 0; z < t.zone_count(); ++z) zones.insert({left[z].size(), rng.next(), z});
  std::vector<Group> groups;
  for (size_t placed = 0; placed < t.size();) {
    Group group;
    std::vector<int> used;
    while (static_cast<int>(group.size()) < size && placed < t.size()) {
      auto pick = zones.begin();
      for (auto it = zones.begin(); it != zones.end(); ++it) {
        if (std::find(used.begin(), used.end(), std::get<2>(*it)) == used.end()) {
          pick = it;
          break;
        }
      }
      const int z = std::get<2>(*pick);
      zones.erase(pick);
      auto& bucket = left[static_cast<size_t>(z)];
      std::swap(bucket[rng.below(bucket.size())], bucket.back());
      group.push_back(bucket.back());
      bucket.pop_back();
      used.push_back(z);
      ++placed;
      if (!bucket.empty()) zones.insert({bucket.size(), rng.next(), z});
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

// Tops the permutation's partial last group up to `size` with nodes from its full groups:
// first nodes of zones the group lacks (so a topped-up copyset spans as many zones as a
// full one), then, among those, the nodes that have topped up fewest copysets so far (so no
// node gains scatter twice while others have not once). Scatter giving way to zones: a
// copyset with two nodes in one zone loses two shards of each of its stripes with that zone.
Group top_up(const Topology& t, const std::vector<Group>& full_groups, Group group, int size,
             std::vector<int>& topups) {
  std::vector<uint32_t> head;
  for (const Group& g : full_groups) head.insert(head.end(), g.begin(), g.end());
  while (static_cast<int>(group.size()) < size) {
    auto cost = [&](uint32_t i) {
      bool zone_present = false;
      for (uint32_t j : group) zone_present = zone_present || t.zone_of(j) == t.zone_of(i);
      return std::pair(zone_present, topups[i]);
    };
    const uint32_t* best = nullptr;
    for (const uint32_t& i : head) {
      if (std::find(group.begin(), group.end(), i) != group.end()) continue;
      if (best == nullptr || cost(i) < cost(*best)) best = &i;
    }
    CAIRN_ASSERT(best != nullptr);
    ++topups[*best];
    group.push_back(*best);
  }
  return group;
}

uint64_t copyset_hash(const Copyset& members) {
  Copyset sorted = members;
  std::sort(sorted.begin(), sorted.end());
  uint64_t h = 0x636f70797365747aULL;
  for (NodeId id : sorted) h = mix64(h ^ rendezvous_id_hash(id));
  return h;
}

}  // namespace

absl::StatusOr<std::vector<Copyset>> make_copysets(const Membership& membership,
                                                   const CopysetOptions& options) {
  auto topology = Topology::build(membership);
  if (!topology.ok()) return topology.status();
  const int n = static_cast<int>(topology->size());
  const int r = options.copyset_size;
  const int s = options.scatter_width;
  if (r < 1 || r > n || s < r - 1 || s < 0) {
    return absl::InvalidArgumentError(absl::StrCat("copysets of ", r, " nodes with scatter width ",
                                                   s, " on ", n, " nodes: need 1 <= R <= N and ",
                                                   "S >= R - 1"));
  }
  const int permutations = r == 1 ? 1 : (s + r - 2) / (r - 1);
  if (permutations > kMaxPermutations) {
    return absl::InvalidArgumentError(absl::StrCat("scatter width ", s, " needs ", permutations,
                                                   " permutations; at most ", kMaxPermutations));
  }
  Rng rng(options.seed);
  std::vector<int> topups(topology->size(), 0);
  std::vector<Copyset> copysets;
  std::set<Copyset> seen;
  for (int p = 0; p < permutations; ++p) {
    std::vector<Group> groups = draw_permutation(*topology, r, rng);
    if (static_cast<int>(groups.back().size()) < r) {
      Group partial = std::move(groups.back());
      groups.pop_back();
      groups.push_back(top_up(*topology, groups, std::move(partial), r, topups));
    }
    for (const Group& g : groups) {
      Copyset members;
      for (uint32_t i : g) members.push_back(topology->node(i).id);
      // Small clusters draw the same group twice; a copyset is a set of nodes, kept once.
      Copyset key = members;
      std::sort(key.begin(), key.end());
      if (seen.insert(key).second) copysets.push_back(std::move(members));
    }
  }
  CAIRN_ASSERT(!copysets.empty());
  return copysets;
}

int scatter_width(const std::vector<Copyset>& copysets, NodeId node) {
  std::set<NodeId> peers;
  for (const Copyset& c : copysets) {
    if (std::find(c.begin(), c.end(), node) == c.end()) continue;
    for (NodeId id : c) {
      if (id != node) peers.insert(id);
    }
  }
  return static_cast<int>(peers.size());
}

CopysetPlacement::CopysetPlacement(Topology topology, std::vector<Copyset> copysets)
    : topology_(std::move(topology)), copysets_(std::move(copysets)) {
  absl::flat_hash_map<NodeId, uint32_t> index;
  for (uint32_t i = 0; i < topology_.size(); ++i) index[topology_.node(i).id] = i;
  member_of_.resize(topology_.size());
  for (uint32_t c = 0; c < copysets_.size(); ++c) {
    double weight = 0;
    for (NodeId id : copysets_[c]) {
      const uint32_t i = index.at(id);
      member_of_[i].push_back(c);
      const double w = topology_.node(i).weight;
      weight = weight == 0 ? w : std::min(weight, w);
    }
    copyset_hashes_.push_back(copyset_hash(copysets_[c]));
    copyset_weights_.push_back(weight);
    equal_weights_ = equal_weights_ && weight == copyset_weights_.front();
  }
  double total = 0;
  for (uint32_t i = 0; i < topology_.size(); ++i) {
    if (member_of_[i].empty()) continue;
    primaries_.push_back(i);
    total += topology_.node(i).weight;
    cumulative_weight_.push_back(total);
  }
  CAIRN_ASSERT(!primaries_.empty());
}

absl::StatusOr<CopysetPlacement> CopysetPlacement::build(const Membership& membership,
                                                         std::vector<Copyset> copysets) {
  auto topology = Topology::build(membership);
  if (!topology.ok()) return topology.status();
  if (copysets.empty()) return absl::InvalidArgumentError("copyset policy needs a copyset");
  absl::flat_hash_map<NodeId, bool> known;
  for (const Node& node : membership.nodes) known[node.id] = true;
  for (const Copyset& c : copysets) {
    if (c.size() != copysets.front().size() || c.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("copysets must all have ", copysets.front().size(), " members (>= 1)"));
    }
    for (size_t i = 0; i < c.size(); ++i) {
      if (!known.contains(c[i]) || std::find(c.begin(), c.begin() + i, c[i]) != c.begin() + i) {
        return absl::InvalidArgumentError(
            absl::StrCat("copyset names node ", c[i], " twice or not a member"));
      }
    }
  }
  return CopysetPlacement(std::move(*topology), std::move(copysets));
}

absl::StatusOr<CopysetPlacement> CopysetPlacement::build(const Membership& membership,
                                                         const CopysetOptions& options) {
  auto copysets = make_copysets(membership, options);
  if (!copysets.ok()) return copysets.status();
  return build(membership, std::move(*copysets));
}

std::string CopysetPlacement::name() const {
  return absl::StrCat("copysets(", copysets_.size(), " of ", copysets_.front().size(), ")");
}

uint32_t CopysetPlacement::primary_of(uint64_t key) const {
  const double u = static_cast<double>(mix64(key ^ kPrimarySalt) >> 11) * 0x1.0p-53;
  const double target = u * cumulative_weight_.back();
  auto it = std::upper_bound(cumulative_weight_.begin(), cumulative_weight_.end(), target);
  const size_t at =
      std::min(static_cast<size_t>(it - cumulative_weight_.begin()), primaries_.size() - 1);
  return primaries_[at];
}

size_t CopysetPlacement::copyset_of(uint64_t key) const {
  const auto& candidates = member_of_[primary_of(key)];
  CAIRN_ASSERT(!candidates.empty());
  const uint64_t mixed = mix64(key);
  uint32_t best = candidates.front();
  double best_score = -1;
  uint64_t best_hash = 0;
  for (uint32_t c : candidates) {
    // With equal weights the raw hash orders exactly as the weighted score (-w / ln u is
    // increasing in u), and skips a logarithm per candidate on the hot path.
    if (equal_weights_) {
      const uint64_t h = mix64(mixed ^ copyset_hashes_[c]);
      if (h > best_hash || (h == best_hash && c < best)) best_hash = h, best = c;
    } else {
      const double score = rendezvous_score(key, copyset_hashes_[c], copyset_weights_[c]);
      if (score > best_score || (score == best_score && c < best)) best_score = score, best = c;
    }
  }
  return best;
}

absl::StatusOr<std::vector<NodeId>> CopysetPlacement::place(uint64_t key, int count) const {
  const int size = static_cast<int>(copysets_.front().size());
  if (count < 0 || count > size) {
    return absl::InvalidArgumentError(
        absl::StrCat("copyset placement of ", count, " shards: copysets hold ", size, " nodes"));
  }
  const uint32_t primary = primary_of(key);
  const Copyset& members = copysets_[copyset_of(key)];
  std::vector<NodeId> nodes = {topology_.node(primary).id};
  for (NodeId id : members) {
    if (id != nodes.front()) nodes.push_back(id);
  }
  CAIRN_ASSERT(static_cast<int>(nodes.size()) == size);
  nodes.resize(static_cast<size_t>(count));
  return nodes;
}

}  // namespace cairn::placement
