// Probability of losing data when 1 % of the nodes fail at once (Cidon et al., ATC 2013,
// Figures 1 and 6), by Monte Carlo over Cairn's own placement code: every chunk of the
// cluster is placed with a cairn::placement policy, the distinct node triples that hold a
// chunk (the copysets in use) are collected, then random failures of 1 % of the nodes are
// drawn and a trial loses data if it takes down all three nodes of some copyset in use.
//
// Usage: copyset_loss --out DIR [--quick] [--threads T] [--seed S]
// Writes DIR/loss.csv, one row per (policy, cluster size). Deterministic: the seed fixes
// node ids, keys, copyset permutations and failure draws; --threads changes only speed.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/placement/copyset.h"
#include "core/placement/rendezvous.h"
#include "core/placement/ring.h"
#include "core/runtime/rng.h"

namespace {

using namespace cairn::placement;
constexpr int kReplicas = 3;

struct Job {
  std::string policy;  // rendezvous | ring | copyset
  int scatter_width = 0;
  int chunks_per_node = 0;
  int nodes = 0;
};

struct Result {
  size_t chunks = 0, distinct = 0, trials = 0, losses = 0;
  int failed = 0;
  double seconds = 0;
};

Membership cluster(int nodes) {
  Membership m{1, {}};
  for (int i = 0; i < nodes; ++i) m.nodes.push_back({static_cast<NodeId>(i + 1), "z", "r", 1.0});
  return m;
}

std::unique_ptr<PlacementPolicy> make_policy(const Job& job, uint64_t seed) {
  const Membership m = cluster(job.nodes);
  if (job.policy == "rendezvous") return std::make_unique<Rendezvous>(*Rendezvous::build(m));
  if (job.policy == "ring") return std::make_unique<Ring>(*Ring::build(m, {}));
  CAIRN_ASSERT(job.policy == "copyset");
  const CopysetOptions options{kReplicas, job.scatter_width, cairn::Rng::derive(seed, job.nodes)};
  return std::make_unique<CopysetPlacement>(*CopysetPlacement::build(m, options));
}

// Node ids are 1..N, so a triple packs into 63 bits as sorted 21-bit indices.
uint64_t pack(uint32_t a, uint32_t b, uint32_t c) {
  if (a > b) std::swap(a, b);
  if (b > c) std::swap(b, c);
  if (a > b) std::swap(a, b);
  return (uint64_t{a} << 42) | (uint64_t{b} << 21) | c;
}

// The three best rendezvous scorers for `key` among nodes of equal weight: with one zone
// and equal weights this is exactly Rendezvous::place(key, 3) (the score -w / ln u grows
// with the hash u), at a tenth of its cost; copysets_in_use() checks the equality.
std::array<NodeId, 3> rendezvous_top3(uint64_t key, const std::vector<uint64_t>& id_hashes) {
  const uint64_t mixed = mix64(key);
  std::array<std::pair<uint64_t, NodeId>, 3> best{};
  for (size_t i = 0; i < id_hashes.size(); ++i) {
    const std::pair<uint64_t, NodeId> cand{mix64(mixed ^ id_hashes[i]), static_cast<NodeId>(i + 1)};
    if (cand.first <= best[2].first) continue;
    best[2] = cand;
    if (best[2].first > best[1].first) std::swap(best[1], best[2]);
    if (best[1].first > best[0].first) std::swap(best[0], best[1]);
  }
  return {best[0].second, best[1].second, best[2].second};
}

// The copysets in use: where the policy puts each of the cluster's chunks.
absl::flat_hash_set<uint64_t> copysets_in_use(const PlacementPolicy& policy, size_t chunks,
                                              uint64_t seed) {
  absl::flat_hash_set<uint64_t> used;
  const auto* rendezvous = dynamic_cast<const Rendezvous*>(&policy);
  std::vector<uint64_t> id_hashes;
  for (uint32_t i = 0; rendezvous != nullptr && i < policy.topology().size(); ++i) {
    id_hashes.push_back(rendezvous_id_hash(policy.topology().node(i).id));
  }
  for (size_t k = 0; k < chunks; ++k) {
    const uint64_t key = mix64(k ^ seed);
    if (rendezvous != nullptr) {
      const auto nodes = rendezvous_top3(key, id_hashes);
      if (k < 1000)
        CAIRN_ASSERT(*policy.place(key, kReplicas) ==
                     std::vector<NodeId>(nodes.begin(), nodes.end()));
      used.insert(pack(nodes[0] - 1, nodes[1] - 1, nodes[2] - 1));
      continue;
    }
    const auto nodes = *policy.place(key, kReplicas);
    used.insert(pack(nodes[0] - 1, nodes[1] - 1, nodes[2] - 1));
  }
  return used;
}

// Adjacency by smallest member: for node a, the pairs (b, c) with a < b < c in use.
struct Adjacency {
  std::vector<size_t> start;
  std::vector<std::pair<uint32_t, uint32_t>> pairs;
};

Adjacency index_by_first(const absl::flat_hash_set<uint64_t>& used, int nodes) {
  Adjacency adj;
  adj.start.assign(static_cast<size_t>(nodes) + 1, 0);
  std::vector<uint64_t> sorted(used.begin(), used.end());
  std::sort(sorted.begin(), sorted.end());
  for (uint64_t t : sorted) {
    ++adj.start[(t >> 42) + 1];
    adj.pairs.push_back(
        {static_cast<uint32_t>((t >> 21) & 0x1FFFFF), static_cast<uint32_t>(t & 0x1FFFFF)});
  }
  for (size_t i = 1; i < adj.start.size(); ++i) adj.start[i] += adj.start[i - 1];
  return adj;
}

// One failure of `failed` distinct nodes: does it cover a copyset in use? Checks whichever is
// cheaper: every triple of failed nodes against the set, or every copyset of a failed node.
bool loses_data(const std::vector<uint32_t>& down, const std::vector<char>& is_down,
                const absl::flat_hash_set<uint64_t>& used, const Adjacency* adj) {
  if (adj == nullptr) {
    for (size_t i = 0; i < down.size(); ++i)
      for (size_t j = i + 1; j < down.size(); ++j)
        for (size_t k = j + 1; k < down.size(); ++k)
          if (used.contains(pack(down[i], down[j], down[k]))) return true;
    return false;
  }
  for (uint32_t a : down) {
    for (size_t p = adj->start[a]; p < adj->start[a + 1]; ++p) {
      if (is_down[adj->pairs[p].first] && is_down[adj->pairs[p].second]) return true;
    }
  }
  return false;
}

Result run(const Job& job, uint64_t seed, size_t max_trials) {
  const auto t0 = std::chrono::steady_clock::now();
  Result r;
  r.chunks = static_cast<size_t>(job.nodes) * static_cast<size_t>(job.chunks_per_node) / kReplicas;
  r.failed = static_cast<int>(std::lround(job.nodes * 0.01));
  const auto policy = make_policy(job, seed);
  const auto used = copysets_in_use(*policy, r.chunks, cairn::Rng::derive(seed, 1));
  r.distinct = used.size();
  const double f = r.failed;
  const double triples = f * (f - 1) * (f - 2) / 6;
  const double by_node = f * 3.0 * static_cast<double>(used.size()) / job.nodes / 3;
  Adjacency adj;
  if (by_node < triples) adj = index_by_first(used, job.nodes);
  cairn::Rng rng(cairn::Rng::derive(seed, static_cast<uint64_t>(job.nodes) * 7919 + 13));
  std::vector<uint32_t> perm(static_cast<size_t>(job.nodes));
  std::vector<char> is_down(perm.size(), 0);
  for (uint32_t i = 0; i < perm.size(); ++i) perm[i] = i;
  // Stop early once the estimate is tight (500 losses); rare losses run to max_trials.
  while (r.trials < max_trials && (r.losses < 500 || r.trials < 1000)) {
    std::vector<uint32_t> down;
    for (size_t i = 0; i < static_cast<size_t>(r.failed); ++i) {
      std::swap(perm[i], perm[i + rng.below(perm.size() - i)]);
      down.push_back(perm[i]);
      is_down[perm[i]] = 1;
    }
    r.losses += r.failed >= kReplicas &&
                loses_data(down, is_down, used, by_node < triples ? &adj : nullptr);
    for (uint32_t d : down) is_down[d] = 0;
    ++r.trials;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

// Wilson score interval (95 %) for `k` losses in `n` trials.
std::pair<double, double> wilson(size_t k, size_t n) {
  const double z = 1.96, p = static_cast<double>(k) / n, nn = static_cast<double>(n);
  const double centre = (p + z * z / (2 * nn)) / (1 + z * z / nn);
  const double half = z * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / (1 + z * z / nn);
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

// 1 - (1 - q)^D with q = C(f,3) / C(N,3): the loss probability if the D copysets in use
// failed independently (the paper's own estimate, fed with our copyset count).
double from_copysets(int nodes, int failed, size_t distinct) {
  if (failed < kReplicas) return 0;
  const double q = (double{1} * failed * (failed - 1) * (failed - 2)) /
                   (double{1} * nodes * (nodes - 1) * (nodes - 2));
  return -std::expm1(static_cast<double>(distinct) * std::log1p(-q));
}

std::vector<Job> jobs(bool quick) {
  const std::vector<int> sizes =
      quick ? std::vector<int>{300, 1000} : std::vector<int>{300, 500, 1000, 2000, 5000, 10000};
  const std::vector<int> random_sizes =
      quick ? std::vector<int>{300, 1000} : std::vector<int>{300, 500, 700, 1000};
  // Chunks per node as the paper's Table 1: 8000 for RAMCloud (random, scatter N - 1, and
  // the S = 2 copyset variant), 10 000 for Facebook (S = 10) and HDFS (S = 200). The quick
  // run places a tenth of them.
  const int scale = quick ? 10 : 1;
  std::vector<Job> out;
  for (int n : random_sizes) out.push_back({"rendezvous", n - 1, 8000 / scale, n});
  for (int n : sizes) {
    out.push_back({"ring", 0, 10000 / scale, n});
    out.push_back({"copyset", 2, 8000 / scale, n});
    out.push_back({"copyset", 10, 10000 / scale, n});
    out.push_back({"copyset", 200, 10000 / scale, n});
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_dir;
  bool quick = false;
  int threads = 2;
  uint64_t seed = 2013;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--out" && i + 1 < argc)
      out_dir = argv[++i];
    else if (arg == "--quick")
      quick = true;
    else if (arg == "--threads" && i + 1 < argc)
      threads = std::max(1, std::atoi(argv[++i]));
    else if (arg == "--seed" && i + 1 < argc)
      seed = std::strtoull(argv[++i], nullptr, 10);
    else {
      std::fprintf(stderr, "usage: %s --out DIR [--quick] [--threads T] [--seed S]\n", argv[0]);
      return 2;
    }
  }
  if (out_dir.empty()) {
    std::fprintf(stderr, "copyset_loss: --out DIR is required\n");
    return 2;
  }
  const std::vector<Job> todo = jobs(quick);
  const size_t max_trials = quick ? 4000 : 20000;
  std::vector<Result> results(todo.size());
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (size_t j = next++; j < todo.size(); j = next++)
        results[j] = run(todo[j], seed, max_trials);
    });
  }
  for (std::thread& t : pool) t.join();
  const std::string path = out_dir + "/loss.csv";
  std::ofstream csv(path);
  if (!csv) {
    std::fprintf(stderr, "copyset_loss: cannot write %s\n", path.c_str());
    return 1;
  }
  csv << "policy,scatter_width,chunks_per_node,nodes,failed,chunks,distinct_copysets,trials,"
         "losses,p_loss,ci_low,ci_high,p_from_copysets,seconds\n";
  for (size_t j = 0; j < todo.size(); ++j) {
    const Job& job = todo[j];
    const Result& r = results[j];
    const auto [lo, hi] = wilson(r.losses, r.trials);
    csv << job.policy << "," << job.scatter_width << "," << job.chunks_per_node << "," << job.nodes
        << "," << r.failed << "," << r.chunks << "," << r.distinct << "," << r.trials << ","
        << r.losses << "," << static_cast<double>(r.losses) / r.trials << "," << lo << "," << hi
        << "," << from_copysets(job.nodes, r.failed, r.distinct) << "," << r.seconds << "\n";
    std::printf("%-10s S=%-5d N=%-6d copysets=%-9zu loss %zu/%zu  (%.1f s)\n", job.policy.c_str(),
                job.scatter_width, job.nodes, r.distinct, r.losses, r.trials, r.seconds);
  }
  return 0;
}
