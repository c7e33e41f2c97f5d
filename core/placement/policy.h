// Placement policies: which nodes hold the shards of a stripe, as a pure function of the
// membership (at an epoch) and the stripe's key.
//
// Three policies share this interface: a consistent-hash ring with virtual nodes
// (Karger et al.), rendezvous hashing (highest random weight), and mirror pairs. Each
// places a stripe's shards on distinct nodes in as many distinct zones, then racks, as
// exist. moved_shards() turns two epochs' placements into the list of shard moves.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/placement/topology.h"

namespace cairn::placement {

class PlacementPolicy {
 public:
  virtual ~PlacementPolicy() = default;

  virtual std::string name() const = 0;
  virtual const Topology& topology() const = 0;
  uint64_t epoch() const { return topology().epoch(); }

  // Nodes for `count` shards of the stripe `key`, in shard order. InvalidArgument if
  // count exceeds the node count (or the policy's own limit).
  virtual absl::StatusOr<std::vector<NodeId>> place(uint64_t key, int count) const = 0;
  // The largest count place() takes: every node, unless the policy holds fewer.
  virtual int max_count() const { return static_cast<int>(topology().size()); }
};

struct ShardMove {
  uint64_t key = 0;
  int shard = 0;
  NodeId from = 0;
  NodeId to = 0;
  friend bool operator==(const ShardMove&, const ShardMove&) = default;
};

// What changes between two epochs for the given stripes of `count` shards each. Shards
// whose node still holds a place in the new set stay where they are; each shard whose node
// dropped out moves to a node that joined the set (in the new policy's preference order),
// so the list is as short as the two node sets allow. Shard order is therefore stable
// across epochs (stripe maps record it); place() gives the order for a fresh stripe.
// InvalidArgument unless after.epoch() > before.epoch().
absl::StatusOr<std::vector<ShardMove>> moved_shards(const PlacementPolicy& before,
                                                    const PlacementPolicy& after,
                                                    absl::Span<const uint64_t> keys, int count);

// The per-stripe step of moved_shards: `layout` (shard -> node) is rewritten toward
// `target` with the fewest moves, which are appended to `moves`.
void reassign(uint64_t key, std::vector<NodeId>& layout, const std::vector<NodeId>& target,
              std::vector<ShardMove>& moves);

}  // namespace cairn::placement
