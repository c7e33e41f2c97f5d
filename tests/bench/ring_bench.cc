// Ring lookups for 1000 nodes x 200 virtual nodes against a bare binary search over a
// sorted array of as many random positions (the raw cost of the data structure).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/placement/rendezvous.h"
#include "core/placement/ring.h"
#include "tests/bench/datapath_timing.h"

int main() {
  using namespace cairn::placement;
  Membership m{1, {}};
  for (NodeId id = 1; id <= 1000; ++id) {
    m.nodes.push_back({id, absl::StrCat("z", id % 5), absl::StrCat("r", id % 20), 1.0});
  }
  const Ring ring = *Ring::build(m, {.vnodes_per_unit_weight = 200});
  const Rendezvous hrw = *Rendezvous::build(m);
  std::mt19937_64 rng(3);
  std::vector<uint64_t> sorted(ring.point_count());
  for (auto& p : sorted) p = rng();
  std::sort(sorted.begin(), sorted.end());
  constexpr int kBatch = 100'000;
  uint64_t sink = 0;
  auto lookups = [&](auto lookup) {
    return [&, lookup] {
      for (uint64_t key = 0; key < kBatch; ++key) sink += lookup(key * 0x9E3779B97F4A7C15ULL);
    };
  };
  const auto bare = lookups([&](uint64_t key) {
    auto it = std::lower_bound(sorted.begin(), sorted.end(), mix64(key));
    return static_cast<uint64_t>(it - sorted.begin());
  });
  std::printf(
      "| operation (1000 nodes x 200 vnodes) | ours | baseline | ratio |\n|---|---|---|---|\n");
  auto report = [&](const char* name, const cairn::bench::Comparison& c, double per_call,
                    const char* base) {
    std::printf("| %-44s | %10.3g /s | %10.3g /s (%s) | %5.3f |\n", name, per_call / c.ours_s,
                per_call / c.baseline_s, base, c.ratio());
  };
  report("ring owner(key)",
         cairn::bench::compare(lookups([&](uint64_t k) { return ring.owner(k); }), bare), kBatch,
         "bare lower_bound");
  constexpr int kPlaceBatch = 2'000;
  auto place14 = [&] {
    for (uint64_t key = 0; key < kPlaceBatch; ++key) sink += ring.place(key, 14)->front();
  };
  auto owner_batch = [&] {
    for (uint64_t key = 0; key < kPlaceBatch; ++key) sink += ring.owner(key);
  };
  report("ring place(key, 14 shards), 5 zones", cairn::bench::compare(place14, owner_batch, 3),
         kPlaceBatch, "ring owner");
  auto hrw_owner = [&] {
    for (uint64_t key = 0; key < kPlaceBatch; ++key) sink += hrw.owner(key);
  };
  report("rendezvous owner(key)", cairn::bench::compare(hrw_owner, owner_batch, 3), kPlaceBatch,
         "ring owner");
  CAIRN_ASSERT(sink != 0);
  return 0;
}
