// Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam 2018).
//
// Shards are placed one stripe at a time along the ring, but a node that already holds
// its capacity ceil((1 + epsilon) * total * weight / total_weight) is skipped, so no node
// ever exceeds (1 + epsilon) times its fair share, while keys still mostly land where the
// plain ring puts them. Unlike the ring itself this is stateful: it counts loads.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "core/placement/ring.h"

namespace cairn::placement {

class BoundedLoadPlacer {
 public:
  // `ring` must outlive the placer. InvalidArgument unless 0 <= epsilon <= 1000.
  static absl::StatusOr<BoundedLoadPlacer> create(const Ring* ring, double epsilon);

  // Places and records `count` shards. ResourceExhausted if too few distinct nodes have
  // room (only possible when count is close to the node count and epsilon is small).
  absl::StatusOr<std::vector<NodeId>> place(uint64_t key, int count);

  uint64_t total() const { return total_; }
  uint64_t load(uint32_t index) const { return loads_[index]; }
  // The most a node may hold once `total` shards are placed.
  uint64_t capacity(uint32_t index, uint64_t total) const;

 private:
  BoundedLoadPlacer(const Ring* ring, double epsilon);

  const Ring* ring_;
  double epsilon_;
  double total_weight_ = 0;
  std::vector<uint64_t> loads_;
  uint64_t total_ = 0;
};

}  // namespace cairn::placement
