// Test generators shared by the erasure tests: random codes and random shard choices,
// drawn from RapidCheck so that a failing case replays from its seed.
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <memory>
#include <random>
#include <vector>

#include "core/erasure/codec.h"

namespace cairn::erasure {

// A random code: Reed-Solomon with k + m <= 32 most of the time, replication otherwise.
inline std::unique_ptr<Codec> any_codec() {
  if (*rc::gen::inRange(0, 8) == 0) return *make_replication(*rc::gen::inRange(1, 6));
  const int k = *rc::gen::inRange(1, 29);
  const int m = *rc::gen::inRange(1, std::min(8, 32 - k) + 1);
  return *make_reed_solomon(k, m);
}

// `count` distinct shard indices of an n-shard stripe, chosen at random.
inline std::vector<int> pick_indices(int n, int count) {
  std::vector<int> all(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) all[static_cast<size_t>(i)] = i;
  std::mt19937_64 rng(*rc::gen::arbitrary<uint64_t>());
  std::shuffle(all.begin(), all.end(), rng);
  all.resize(static_cast<size_t>(count));
  return all;
}

}  // namespace cairn::erasure
