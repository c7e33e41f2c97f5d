#include "core/runtime/rng.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <vector>

namespace cairn {
namespace {

TEST(Rng, SameSeedSameSequence) {
  Rng a(42), b(42), c(43);
  std::vector<uint64_t> xa, xb, xc;
  for (int i = 0; i < 16; ++i) {
    xa.push_back(a.next());
    xb.push_back(b.next());
    xc.push_back(c.next());
  }
  EXPECT_EQ(xa, xb);
  EXPECT_NE(xa, xc);
}

TEST(Rng, DerivedStreamsDiffer) {
  EXPECT_NE(Rng::derive(7, 1), Rng::derive(7, 2));
  EXPECT_NE(Rng::derive(7, 1), Rng::derive(8, 1));
  EXPECT_EQ(Rng::derive(7, 1), Rng::derive(7, 1));
}

TEST(Rng, BelowIsRoughlyUniform) {
  Rng rng(1);
  int counts[10] = {};
  for (int i = 0; i < 100000; ++i) ++counts[rng.below(10)];
  for (int c : counts) {
    EXPECT_GT(c, 9400);
    EXPECT_LT(c, 10600);
  }
}

RC_GTEST_PROP(Rng, BetweenStaysInRange, (uint64_t seed, int32_t a, int32_t b)) {
  Rng rng(seed);
  const int64_t lo = std::min(a, b), hi = std::max(a, b);
  for (int i = 0; i < 20; ++i) {
    const int64_t x = rng.between(lo, hi);
    RC_ASSERT(x >= lo);
    RC_ASSERT(x <= hi);
  }
}

RC_GTEST_PROP(Rng, Uniform01InUnitInterval, (uint64_t seed)) {
  Rng rng(seed);
  for (int i = 0; i < 20; ++i) {
    const double x = rng.uniform01();
    RC_ASSERT(x >= 0.0);
    RC_ASSERT(x < 1.0);
  }
}

}  // namespace
}  // namespace cairn
