// Rendezvous (highest-random-weight) hashing, weighted (Thaler & Ravishankar 1998;
// the -w / ln(u) score of Schindelhauer & Schomaker 2005).
//
// Every node scores every key; a stripe's shards go to the best-scoring nodes, spread
// over failure domains. No ring to store and perfect balance in expectation, at O(nodes)
// per lookup. Promises: the same answer on every node; a departing node hands out only
// its own keys and an arriving node takes only the keys it now wins.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/placement/policy.h"

namespace cairn::placement {

// The weighted score of node `id_hash` for `key`: higher wins.
double rendezvous_score(uint64_t key, uint64_t id_hash, double weight);
uint64_t rendezvous_id_hash(NodeId id);

class Rendezvous final : public PlacementPolicy {
 public:
  static absl::StatusOr<Rendezvous> build(const Membership& membership);

  std::string name() const override;
  const Topology& topology() const override { return topology_; }
  absl::StatusOr<std::vector<NodeId>> place(uint64_t key, int count) const override;
  NodeId owner(uint64_t key) const;

 private:
  explicit Rendezvous(Topology topology);

  Topology topology_;
  std::vector<uint64_t> id_hashes_;  // by node index
};

}  // namespace cairn::placement
