// Modulo placement: a stripe's first shard goes to node hash(key) mod n, the others to the
// nodes after it in membership order. The textbook foil of consistent hashing (Karger et
// al. 1997 open with it): perfectly simple, evenly spread, and a change of n reshuffles
// almost everything, since hash mod n and hash mod (n + 1) agree for only about 1 key in
// n + 1. Kept for teaching (scenarios/placement-join-leave.yaml), not used by storage.
//
// Promises: the same membership gives the same answer on every node; shards of one stripe
// go to distinct nodes, spread over failure domains like the other policies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/placement/policy.h"

namespace cairn::placement {

class Modulo final : public PlacementPolicy {
 public:
  // InvalidArgument for a bad membership.
  static absl::StatusOr<Modulo> build(const Membership& membership);

  std::string name() const override;
  const Topology& topology() const override { return topology_; }
  absl::StatusOr<std::vector<NodeId>> place(uint64_t key, int count) const override;

 private:
  explicit Modulo(Topology topology) : topology_(std::move(topology)) {}

  Topology topology_;
};

}  // namespace cairn::placement
