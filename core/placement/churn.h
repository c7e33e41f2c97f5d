// Placement under churn: a fixed set of stripes kept placed by one policy while nodes join
// and leave, and what each change costs. For each change it counts the shards that moved
// against the least a balanced policy must move (a joiner's fair share of all shards; the
// shards a leaver held), the moves that touched neither a joiner nor a leaver, and how
// evenly the shards then spread over the nodes (most loaded node against the mean).
//
// The placement lesson (scenarios/placement-join-leave.yaml) runs on it, so a student sees
// the real policies of this folder, not a model of them. Pure: keys, node ids and choices
// come from the caller; no clock, no randomness.
//
// Promises: a stripe's shards keep their order across changes and a shard moves only when
// its node dropped out of the stripe's node set (reassign() in policy.h), so the moves are
// as few as the policy's two placements allow; the same inputs always give the same
// figures.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/placement/policy.h"

namespace cairn::placement {

enum class PolicyKind { kRing, kRendezvous, kModulo };

struct PolicyChoice {
  PolicyKind kind = PolicyKind::kRing;
  int vnodes = 200;  // ring: points per node of weight 1
};

// "ring", "rendezvous", "modulo".
std::string policy_kind_name(PolicyKind kind);

// InvalidArgument for a bad membership or a ring's vnodes outside [1, 100000].
absl::StatusOr<std::unique_ptr<PlacementPolicy>> make_policy(const PolicyChoice& choice,
                                                             const Membership& membership);

// Shards per node, over every node of a membership (one holding nothing counts as 0).
struct LoadSpread {
  uint64_t min = 0;
  uint64_t max = 0;
  double mean = 0;
  double max_over_mean = 0;  // 1 is perfect balance
};

struct ChangeFigures {
  std::vector<NodeId> joined, left;
  uint64_t shards = 0;                 // stripes x shards per stripe
  uint64_t moved = 0;                  // shards whose node changed
  uint64_t moved_between_stayers = 0;  // moves to a node that did not join, from one that did
                                       // not leave: work no balanced policy needs
  double moved_fraction = 0;           // moved / shards
  // The least a balanced policy moves: the joiners' fair share (weight over total weight,
  // 1/n for equal weights) plus the shards the leavers held, as a fraction of all shards.
  double ideal_fraction = 0;
  LoadSpread load;  // after the change

  // moved_fraction / ideal_fraction (0 when the ideal is 0).
  double moved_over_ideal() const;
};

class PlacedStripes {
 public:
  // Places one stripe of `count` shards per key. InvalidArgument for a bad choice or
  // membership, no keys, or count outside [1, node count].
  static absl::StatusOr<PlacedStripes> place(const PolicyChoice& choice,
                                             const Membership& membership,
                                             std::vector<uint64_t> keys, int count);

  // Moves every stripe to `next`'s placement with the fewest moves. InvalidArgument unless
  // next.epoch > the current epoch, `next` builds, and it has at least `count` nodes; the
  // placement is unchanged then.
  absl::StatusOr<ChangeFigures> change(const Membership& next);

  const PlacementPolicy& policy() const { return *policy_; }
  const LoadSpread& load() const { return load_; }
  uint64_t shards() const { return static_cast<uint64_t>(keys_.size()) * count_; }
  // Node -> shard of each stripe, in key order.
  const std::vector<std::vector<NodeId>>& layouts() const { return layouts_; }

 private:
  PlacedStripes(PolicyChoice choice, std::unique_ptr<PlacementPolicy> policy,
                std::vector<uint64_t> keys, int count);
  void count_load();

  PolicyChoice choice_;
  std::unique_ptr<PlacementPolicy> policy_;
  std::vector<uint64_t> keys_;
  int count_ = 1;
  std::vector<std::vector<NodeId>> layouts_;
  std::map<NodeId, uint64_t> per_node_;
  LoadSpread load_;
};

}  // namespace cairn::placement
