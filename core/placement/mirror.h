// Mirror pairs: every node has a partner that holds the same data (RAID-1 across nodes).
//
// Pairs are part of the cluster's configuration (kept by meta beside the membership), not
// recomputed per epoch, so a join never re-pairs existing nodes; suggest_pairs() proposes
// pairs for a fresh cluster, partners in different zones where the zones allow. A stripe
// of `count` shards uses count / 2 pairs chosen by rendezvous over pairs: shards 2i and
// 2i+1 are the two halves of pair i and carry the same bytes (replication codec).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/placement/policy.h"

namespace cairn::placement {

using NodePair = std::pair<NodeId, NodeId>;

// Interleaves zones (round robin, nodes by id within a zone) and pairs neighbours. With an
// odd node count one node is left unpaired.
std::vector<NodePair> suggest_pairs(const Membership& membership);

// The pairs after the membership changed: a pair whose two nodes are both still members
// stays as it was (a join or a drain never re-pairs nodes it does not touch); every other
// member (its partner left, or it is new) is paired with the next such member in id order,
// in another zone while one is left. Deterministic: every node computes the same pairs.
std::vector<NodePair> re_pair(const std::vector<NodePair>& pairs, const Membership& now);

// The members of a topology, as a Membership at its epoch.
Membership membership_of(const Topology& topology);

class MirrorPairs final : public PlacementPolicy {
 public:
  // InvalidArgument if a pair names an unknown node, a node twice, or no pair is given.
  static absl::StatusOr<MirrorPairs> build(const Membership& membership,
                                           std::vector<NodePair> pairs);

  std::string name() const override;
  const Topology& topology() const override { return topology_; }
  // InvalidArgument unless count is even and count / 2 <= pair count.
  absl::StatusOr<std::vector<NodeId>> place(uint64_t key, int count) const override;
  std::optional<NodeId> partner(NodeId node) const;
  int max_count() const override { return static_cast<int>(2 * pairs_.size()); }
  const std::vector<NodePair>& pairs() const { return pairs_; }

 private:
  MirrorPairs(Topology topology, std::vector<NodePair> pairs);

  Topology topology_;
  std::vector<NodePair> pairs_;
  std::vector<uint64_t> pair_hashes_;
  std::vector<double> pair_weights_;  // the smaller of the two: a pair fills as its least
};

// Mirror pairs over a policy's members: the pairs suggested for `first` (the configured
// members, which every node knows alike), re-paired for `now`. InvalidArgument when fewer
// than two nodes remain.
absl::StatusOr<std::shared_ptr<const MirrorPairs>> mirror_over(const Topology& first,
                                                               const Topology& now);

}  // namespace cairn::placement
