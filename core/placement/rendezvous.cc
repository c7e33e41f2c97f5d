#include "core/placement/rendezvous.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace cairn::placement {

uint64_t rendezvous_id_hash(NodeId id) { return mix64(id ^ 0x72656e64657a766fULL); }

double rendezvous_score(uint64_t key, uint64_t id_hash, double weight) {
  const uint64_t h = mix64(mix64(key) ^ id_hash);
  // u uniform in (0, 1): -w / ln(u) makes P(node wins) proportional to its weight.
  const double u = (static_cast<double>(h >> 11) + 0.5) * 0x1.0p-53;
  return -weight / std::log(u);
}

Rendezvous::Rendezvous(Topology topology) : topology_(std::move(topology)) {
  for (uint32_t i = 0; i < topology_.size(); ++i) {
    id_hashes_.push_back(rendezvous_id_hash(topology_.node(i).id));
  }
}

absl::StatusOr<Rendezvous> Rendezvous::build(const Membership& membership) {
  auto topology = Topology::build(membership);
  if (!topology.ok()) return topology.status();
  return Rendezvous(std::move(*topology));
}

std::string Rendezvous::name() const {
  return absl::StrCat("rendezvous(", topology_.size(), " nodes)");
}

NodeId Rendezvous::owner(uint64_t key) const {
  uint32_t best = 0;
  double best_score = -1;
  for (uint32_t i = 0; i < topology_.size(); ++i) {
    const double s = rendezvous_score(key, id_hashes_[i], topology_.node(i).weight);
    if (s > best_score) {
      best_score = s;
      best = i;
    }
  }
  return topology_.node(best).id;
}

absl::StatusOr<std::vector<NodeId>> Rendezvous::place(uint64_t key, int count) const {
  std::vector<std::pair<double, uint32_t>> ranked(topology_.size());
  for (uint32_t i = 0; i < topology_.size(); ++i) {
    ranked[i] = {rendezvous_score(key, id_hashes_[i], topology_.node(i).weight), i};
  }
  // Descending score; equal scores (vanishingly rare) break by index for determinism.
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  auto walk = [&](absl::FunctionRef<bool(uint32_t)> visit) {
    for (const auto& [score, i] : ranked) {
      if (visit(i)) return;
    }
  };
  auto picks = pick_diverse(topology_, walk, count, [](uint32_t) { return true; });
  if (!picks.ok()) return picks.status();
  std::vector<NodeId> nodes;
  for (uint32_t i : *picks) nodes.push_back(topology_.node(i).id);
  CAIRN_ASSERT(static_cast<int>(nodes.size()) == count);
  return nodes;
}

}  // namespace cairn::placement
