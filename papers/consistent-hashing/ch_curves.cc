// Reproduces the classic consistent-hashing curves with cairn::placement, writing CSVs:
//   vnodes.csv   load spread against virtual nodes per node (Karger et al.; Lamping & Veach)
//   moves.csv    fraction of keys moved on join and leave against 1/(n+1) and 1/n
//   bounded.csv  maximum load and join movement under bounded loads (Mirrokni et al.)
// Usage: ch_curves OUT_DIR. Deterministic: node ids and keys come from fixed seeds.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/placement/bounded_load.h"
#include "core/placement/ring.h"

namespace {

using namespace cairn::placement;

// Node ids are 32-bit (cairn::NodeId): consecutive ids from a seed-dependent base are
// distinct, and the ring hashes (id, vnode) anyway, so each seed still gives its own ring.
Membership cluster(int nodes, uint64_t seed) {
  Membership m{1, {}};
  const auto base = static_cast<NodeId>(mix64(seed * 1'000'003));
  for (int i = 0; i < nodes; ++i) {
    m.nodes.push_back({base + static_cast<NodeId>(i), "z", "r", 1.0});
  }
  return m;
}

void vnode_curve(std::ofstream& out) {
  out << "vnodes,seed,rel_std,max_over_avg,theory_rel_std\n";
  constexpr int kNodes = 100;
  for (int v = 1; v <= 1024; v *= 2) {
    for (uint64_t seed = 1; seed <= 10; ++seed) {
      const Ring ring = *Ring::build(cluster(kNodes, seed), {.vnodes_per_unit_weight = v});
      double sum_sq = 0, max_share = 0;
      for (double share : ring.arc_shares()) {
        const double load = share * kNodes;  // 1.0 is a fair share
        sum_sq += (load - 1) * (load - 1);
        max_share = std::max(max_share, load);
      }
      out << v << "," << seed << "," << std::sqrt(sum_sq / kNodes) << "," << max_share << ","
          << 1 / std::sqrt(v) << "\n";
    }
  }
}

double moved_fraction(const Ring& a, const Ring& b, uint64_t keys) {
  uint64_t moved = 0;
  for (uint64_t k = 0; k < keys; ++k) moved += a.owner(mix64(k + 77)) != b.owner(mix64(k + 77));
  return static_cast<double>(moved) / static_cast<double>(keys);
}

void move_curve(std::ofstream& out) {
  out << "nodes,seed,join_moved,join_ideal,leave_moved,leave_ideal\n";
  constexpr uint64_t kKeys = 200'000;
  for (int n : {5, 10, 20, 50, 100, 200, 500, 1000}) {
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      const Membership base = cluster(n + 1, seed);
      Membership small = base;
      small.nodes.pop_back();
      const Ring before = *Ring::build(small, {});
      const Ring joined = *Ring::build(base, {});
      Membership left = small;
      left.nodes.erase(left.nodes.begin());
      const Ring shrunk = *Ring::build(left, {});
      out << n << "," << seed << "," << moved_fraction(before, joined, kKeys) << ","
          << 1.0 / (n + 1) << "," << moved_fraction(before, shrunk, kKeys) << "," << 1.0 / n
          << "\n";
    }
  }
}

// Places `keys` keys one shard each and returns (max load / average, node per key).
std::pair<double, std::vector<NodeId>> bounded_run(const Ring& ring, double epsilon, int keys) {
  auto placer = *BoundedLoadPlacer::create(&ring, epsilon);
  std::vector<NodeId> where;
  for (int k = 0; k < keys; ++k) where.push_back((*placer.place(mix64(k + 99), 1))[0]);
  uint64_t max_load = 0;
  for (uint32_t i = 0; i < ring.topology().size(); ++i)
    max_load = std::max(max_load, placer.load(i));
  const double avg = static_cast<double>(keys) / static_cast<double>(ring.topology().size());
  return {static_cast<double>(max_load) / avg, where};
}

void bounded_curve(std::ofstream& out) {
  out << "vnodes,epsilon,seed,max_over_avg,bound,join_moved,join_ideal\n";
  constexpr int kNodes = 100, kKeys = 10'000;
  const double plain = 1000;  // so large that no node is ever full: the plain ring
  for (int v : {1, 100}) {
    for (double eps : {0.01, 0.05, 0.1, 0.25, 0.5, 1.0, plain}) {
      for (uint64_t seed = 1; seed <= 5; ++seed) {
        const Membership base = cluster(kNodes + 1, seed);
        Membership small = base;
        small.nodes.pop_back();
        const Ring before = *Ring::build(small, {.vnodes_per_unit_weight = v});
        const Ring after = *Ring::build(base, {.vnodes_per_unit_weight = v});
        const auto [max_over_avg, where] = bounded_run(before, eps, kKeys);
        const auto [unused, where_after] = bounded_run(after, eps, kKeys);
        int moved = 0;
        for (int k = 0; k < kKeys; ++k) moved += where[k] != where_after[k];
        const double bound = eps == plain
                                 ? std::numeric_limits<double>::quiet_NaN()
                                 : std::ceil((1 + eps) * kKeys / kNodes - 1e-9) / (kKeys / kNodes);
        out << v << "," << (eps == plain ? std::string("inf") : absl::StrCat(eps)) << "," << seed
            << "," << max_over_avg << "," << bound << "," << static_cast<double>(moved) / kKeys
            << "," << 1.0 / (kNodes + 1) << "\n";
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  std::ofstream vnodes(dir + "/vnodes.csv"), moves(dir + "/moves.csv"),
      bounded(dir + "/bounded.csv");
  CAIRN_ASSERT(vnodes && moves && bounded);
  vnode_curve(vnodes);
  move_curve(moves);
  bounded_curve(bounded);
  std::printf("wrote %s/{vnodes,moves,bounded}.csv\n", dir.c_str());
  return 0;
}
