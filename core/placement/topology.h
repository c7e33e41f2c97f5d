// Cluster topology as placement sees it: nodes with weights in failure domains
// (zone, then rack within zone), at a membership epoch; and the one selection rule every
// policy shares.
//
// Promises: a Topology is immutable once built and validated (unique ids, positive finite
// weights, at least one node); pick_diverse() returns distinct nodes that span as many
// zones, then racks, as the cluster has, in the order the policy prefers them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "core/runtime/message.h"

namespace cairn::placement {

using cairn::NodeId;  // one node id type across the code base (core/runtime/message.h)

struct Node {
  NodeId id = 0;
  std::string zone;
  std::string rack;
  double weight = 1.0;  // relative capacity; a node of weight 2 gets twice the data
};

struct Membership {
  uint64_t epoch = 0;  // bumped by meta on every change; orders placements in time
  std::vector<Node> nodes;
};

class Topology {
 public:
  // InvalidArgument on an empty node list, a repeated id or a weight that is not > 0.
  static absl::StatusOr<Topology> build(const Membership& membership);

  uint64_t epoch() const { return epoch_; }
  size_t size() const { return nodes_.size(); }
  const Node& node(uint32_t index) const { return nodes_[index]; }
  int zone_of(uint32_t index) const { return zone_[index]; }
  int rack_of(uint32_t index) const { return rack_[index]; }  // unique across zones
  int zone_count() const { return zone_count_; }
  int rack_count() const { return rack_count_; }

 private:
  Topology() = default;

  uint64_t epoch_ = 0;
  std::vector<Node> nodes_;
  std::vector<int> zone_;
  std::vector<int> rack_;
  int zone_count_ = 0;
  int rack_count_ = 0;
};

// A policy's preference order: calls `visit` on node indices (repeats allowed) until it
// returns true or the candidates run out.
using Walk = absl::FunctionRef<void(absl::FunctionRef<bool(uint32_t)> visit)>;

// Chooses `count` distinct nodes among those `eligible`, greedily along `walk`: first one
// per zone while unused zones remain, then one per rack, then any node. So shards share a
// zone only when there are fewer zones than shards, and likewise for racks.
// InvalidArgument if count exceeds the node count; ResourceExhausted if too few nodes
// are eligible.
absl::StatusOr<std::vector<uint32_t>> pick_diverse(const Topology& topology, Walk walk, int count,
                                                   absl::FunctionRef<bool(uint32_t)> eligible);

// A 64-bit finalizer (splitmix64's): spreads structured keys (0, 1, 2 ...) over the ring.
inline uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

}  // namespace cairn::placement
