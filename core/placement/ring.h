// Consistent-hash ring with virtual nodes and weights (Karger et al. 1997).
//
// Each node owns round(vnodes_per_unit_weight * weight) points on a 64-bit circle (at
// least one); a key belongs to the first point at or after its hash, and a stripe's
// shards go to the nodes met walking clockwise from there, spread over failure domains.
// Promises: lookups are O(log points) and allocation-free; the ring depends only on the
// membership, so every node computes the same answer; adding a node takes keys only from
// the points it lands before, and removing one hands out only its own keys.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/placement/policy.h"

namespace cairn::placement {

struct RingOptions {
  int vnodes_per_unit_weight = 200;
};

class Ring final : public PlacementPolicy {
 public:
  // InvalidArgument for a bad membership or vnodes_per_unit_weight outside [1, 100000].
  static absl::StatusOr<Ring> build(const Membership& membership, const RingOptions& options);

  std::string name() const override;
  const Topology& topology() const override { return topology_; }
  absl::StatusOr<std::vector<NodeId>> place(uint64_t key, int count) const override;

  // The single owner of `key`: the first point at or after hash(key).
  NodeId owner(uint64_t key) const { return topology_.node(owners_[first_point(key)]).id; }
  // As place(), but only nodes for which `eligible(index)` holds (bounded loads use this).
  absl::StatusOr<std::vector<uint32_t>> place_indices(
      uint64_t key, int count, absl::FunctionRef<bool(uint32_t)> eligible) const;

  size_t point_count() const { return points_.size(); }
  // Fraction of the circle each node owns (by node index): its expected share of keys.
  std::vector<double> arc_shares() const;

 private:
  explicit Ring(Topology topology) : topology_(std::move(topology)) {}
  size_t first_point(uint64_t key) const;

  Topology topology_;
  RingOptions options_;
  std::vector<uint64_t> points_;  // sorted positions on the circle
  std::vector<uint32_t> owners_;  // owners_[i]: node index owning points_[i]
};

}  // namespace cairn::placement
