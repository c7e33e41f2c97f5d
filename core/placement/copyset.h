// Copyset placement (Cidon et al., "Copysets: Reducing the Frequency of Data Loss in Cloud
// Storage", USENIX ATC 2013): every stripe lives entirely inside one of a few fixed node
// groups, so a correlated failure of many nodes loses data only if it covers a whole group.
//
// make_copysets() draws P = ceil(S / (R - 1)) random permutations of the nodes from a seed
// (cairn::Rng, no global randomness) and cuts each into copysets of R nodes, so each node
// shares data with about S others (its scatter width) while the cluster holds only about
// P * N / R copysets instead of one per stripe. Like mirror pairs, copysets are cluster
// configuration kept beside the membership, not recomputed per epoch.
//
// Promises: the same membership, options and seed always give the same copysets; every
// node belongs to at least one copyset; no copyset is listed twice; a copyset spans
// min(R, zones) zones whenever the zone sizes allow it (always for balanced zones); a
// node's scatter width is at most P * (R - 1) when R divides N; otherwise each
// permutation's last, partial copyset is topped up with nodes of the rest of it, of zones
// it lacks first, then spread so that no node tops up twice while P * R <= N: with one
// zone that bounds scatter by (P + 1) * (R - 1), with several by 2 P (R - 1) (a node may
// top up once per permutation when few nodes lie in the zones a partial copyset lacks).
// place() puts a stripe of at most R shards inside a single copyset: the primary is drawn
// by the key's hash in proportion to node weight, then rendezvous hashing picks one of the
// primary's copysets. Unlike the ring, a membership change needs new copysets, which move
// many stripes: copysets trade movement for fewer ways to lose data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/placement/policy.h"

namespace cairn::placement {

struct CopysetOptions {
  int copyset_size = 3;   // R: the replication factor (or k + m of a code)
  int scatter_width = 2;  // S: nodes each node should share data with
  uint64_t seed = 1;      // drives the permutations; keep it with the configuration
};

using Copyset = std::vector<NodeId>;

// InvalidArgument unless 1 <= R <= node count and R - 1 <= S (S >= 0 when R == 1), or when
// the permutations needed exceed 10 000.
absl::StatusOr<std::vector<Copyset>> make_copysets(const Membership& membership,
                                                   const CopysetOptions& options);

// Number of distinct other nodes `node` shares a copyset with.
int scatter_width(const std::vector<Copyset>& copysets, NodeId node);

class CopysetPlacement final : public PlacementPolicy {
 public:
  // InvalidArgument if no copyset is given, the copysets differ in size, or a copyset
  // names an unknown node or a node twice.
  static absl::StatusOr<CopysetPlacement> build(const Membership& membership,
                                                std::vector<Copyset> copysets);
  // make_copysets() then build().
  static absl::StatusOr<CopysetPlacement> build(const Membership& membership,
                                                const CopysetOptions& options);

  std::string name() const override;
  const Topology& topology() const override { return topology_; }
  // The first `count` members of the key's copyset, its primary first. InvalidArgument
  // unless 0 <= count <= copyset size.
  absl::StatusOr<std::vector<NodeId>> place(uint64_t key, int count) const override;

  // Index into copysets() of the copyset that holds `key`.
  size_t copyset_of(uint64_t key) const;
  const std::vector<Copyset>& copysets() const { return copysets_; }

 private:
  CopysetPlacement(Topology topology, std::vector<Copyset> copysets);
  uint32_t primary_of(uint64_t key) const;  // a node index

  Topology topology_;
  std::vector<Copyset> copysets_;
  std::vector<uint64_t> copyset_hashes_;
  std::vector<double> copyset_weights_;           // the smallest member weight: fills as its least
  bool equal_weights_ = true;                     // then the raw hash orders as the weighted score
  std::vector<std::vector<uint32_t>> member_of_;  // node index -> copysets holding it
  std::vector<uint32_t> primaries_;               // node indices in some copyset
  std::vector<double> cumulative_weight_;         // running sum over primaries_
};

}  // namespace cairn::placement
