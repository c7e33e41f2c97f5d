#include "core/placement/ring.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace cairn::placement {
namespace {

// A point's position depends only on the node id and the point's number, so a node's
// points do not move when others join or leave.
uint64_t point_position(NodeId id, uint64_t vnode) {
  const uint64_t words[2] = {id, vnode};
  return XXH3_64bits(words, sizeof(words));
}

}  // namespace

absl::StatusOr<Ring> Ring::build(const Membership& membership, const RingOptions& options) {
  if (options.vnodes_per_unit_weight < 1 || options.vnodes_per_unit_weight > 100'000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "vnodes_per_unit_weight ", options.vnodes_per_unit_weight, " not in [1, 100000]"));
  }
  auto topology = Topology::build(membership);
  if (!topology.ok()) return topology.status();
  Ring ring(std::move(*topology));
  ring.options_ = options;
  std::vector<std::tuple<uint64_t, NodeId, uint32_t>> points;
  for (uint32_t i = 0; i < ring.topology_.size(); ++i) {
    const Node& node = ring.topology_.node(i);
    const double wanted = std::round(options.vnodes_per_unit_weight * node.weight);
    const uint64_t vnodes = std::max<uint64_t>(1, static_cast<uint64_t>(std::min(wanted, 1e7)));
    for (uint64_t v = 0; v < vnodes; ++v)
      points.emplace_back(point_position(node.id, v), node.id, i);
  }
  std::sort(points.begin(), points.end());  // ties (never seen in practice) break by id
  ring.points_.reserve(points.size());
  ring.owners_.reserve(points.size());
  for (const auto& [position, id, index] : points) {
    ring.points_.push_back(position);
    ring.owners_.push_back(index);
  }
  CAIRN_ASSERT(!ring.points_.empty());
  return ring;
}

std::string Ring::name() const {
  return absl::StrCat("ring(", topology_.size(), " nodes, ", points_.size(), " points)");
}

size_t Ring::first_point(uint64_t key) const {
  const uint64_t position = mix64(key);
  const auto it = std::lower_bound(points_.begin(), points_.end(), position);
  return it == points_.end() ? 0 : static_cast<size_t>(it - points_.begin());
}

absl::StatusOr<std::vector<uint32_t>> Ring::place_indices(
    uint64_t key, int count, absl::FunctionRef<bool(uint32_t)> eligible) const {
  const size_t start = first_point(key);
  const size_t n = points_.size();
  auto walk = [&](absl::FunctionRef<bool(uint32_t)> visit) {
    for (size_t step = 0; step < n; ++step) {
      size_t at = start + step;
      if (at >= n) at -= n;
      if (visit(owners_[at])) return;
    }
  };
  return pick_diverse(topology_, walk, count, eligible);
}

absl::StatusOr<std::vector<NodeId>> Ring::place(uint64_t key, int count) const {
  auto indices = place_indices(key, count, [](uint32_t) { return true; });
  if (!indices.ok()) return indices.status();
  std::vector<NodeId> nodes;
  nodes.reserve(indices->size());
  for (uint32_t i : *indices) nodes.push_back(topology_.node(i).id);
  return nodes;
}

std::vector<double> Ring::arc_shares() const {
  std::vector<double> shares(topology_.size(), 0.0);
  const size_t n = points_.size();
  for (size_t i = 0; i < n; ++i) {
    // Keys in (points_[i-1], points_[i]] belong to point i; unsigned wrap handles i = 0.
    const uint64_t previous = points_[i == 0 ? n - 1 : i - 1];
    const uint64_t arc = n == 1 ? ~uint64_t{0} : points_[i] - previous;
    shares[owners_[i]] += static_cast<double>(arc) / 18446744073709551616.0;
  }
  return shares;
}

}  // namespace cairn::placement
