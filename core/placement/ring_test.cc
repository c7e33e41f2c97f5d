#include "core/placement/ring.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <numeric>

#include "core/placement/bounded_load.h"
#include "core/placement/testing.h"

namespace cairn::placement {
namespace {

using testing::random_membership;

constexpr uint64_t kSampleKeys = 10'000;

// Adding a node to an n-node ring moves about 1/(n+1) of the keys, all to the new node.
// Tolerance: +-50% of 1/(n+1). With 200 points per node a node's share has a relative
// spread of about 1/sqrt(200) = 7%, and sampling 10 000 keys adds at most 6%: the
// tolerance is over five standard deviations.
RC_GTEST_PROP(Ring, JoinMovesAboutOneOverNPlusOneOfKeysToTheNewNode, ()) {
  const int n = *rc::gen::inRange(5, 41);
  auto membership = random_membership(n, 3, false);
  const auto before = *Ring::build(membership, {});
  membership.nodes.push_back({membership.nodes.back().id + 1, "z9", "r9", 1.0});
  const auto after = *Ring::build(membership, {});
  const uint64_t salt = *rc::gen::arbitrary<uint64_t>();
  uint64_t moved = 0;
  for (uint64_t i = 0; i < kSampleKeys; ++i) {
    const uint64_t key = salt + i;
    if (before.owner(key) == after.owner(key)) continue;
    RC_ASSERT(after.owner(key) == membership.nodes.back().id);
    ++moved;
  }
  const double ideal = 1.0 / (n + 1);
  const double fraction = static_cast<double>(moved) / kSampleKeys;
  RC_ASSERT(std::abs(fraction - ideal) <= 0.5 * ideal);
}

RC_GTEST_PROP(Ring, LeaveMovesExactlyTheDepartedNodesKeys, ()) {
  auto membership = random_membership(*rc::gen::inRange(2, 30), 3, true);
  const auto before = *Ring::build(membership, {.vnodes_per_unit_weight = 50});
  const size_t gone = *rc::gen::inRange<size_t>(0, membership.nodes.size());
  const NodeId gone_id = membership.nodes[gone].id;
  membership.nodes.erase(membership.nodes.begin() + static_cast<ptrdiff_t>(gone));
  const auto after = *Ring::build(membership, {.vnodes_per_unit_weight = 50});
  const uint64_t salt = *rc::gen::arbitrary<uint64_t>();
  for (uint64_t i = 0; i < 1000; ++i) {
    const uint64_t key = salt + i;
    RC_ASSERT((before.owner(key) != after.owner(key)) == (before.owner(key) == gone_id));
  }
}

RC_GTEST_PROP(Ring, BoundedLoadsNeverExceedCapacity, ()) {
  const auto membership = random_membership(*rc::gen::inRange(2, 30), 4, true);
  const auto ring = *Ring::build(membership, {.vnodes_per_unit_weight = 20});
  const double epsilon = *rc::gen::element(0.0, 0.05, 0.25, 1.0);
  auto placer = *BoundedLoadPlacer::create(&ring, epsilon);
  const int count = *rc::gen::inRange<int>(1, static_cast<int>(ring.topology().size()) / 2 + 2);
  for (uint64_t key = 0; key < 300; ++key) {
    const uint64_t total_before = placer.total();
    auto nodes = placer.place(mix64(key), count);
    if (!nodes.ok()) {
      RC_ASSERT(nodes.status().code() == absl::StatusCode::kResourceExhausted);
      RC_ASSERT(placer.total() == total_before);
      continue;
    }
    for (uint32_t i = 0; i < ring.topology().size(); ++i) {
      RC_ASSERT(placer.load(i) <= placer.capacity(i, placer.total()));
    }
  }
}

TEST(Ring, SharesFollowWeightsAndSumToOne) {
  Membership m{1, {{1, "a", "r", 1.0}, {2, "b", "r", 1.0}, {3, "c", "r", 2.0}}};
  const auto ring = *Ring::build(m, {.vnodes_per_unit_weight = 2000});
  const auto shares = ring.arc_shares();
  EXPECT_NEAR(std::accumulate(shares.begin(), shares.end(), 0.0), 1.0, 1e-9);
  EXPECT_NEAR(shares[2], 0.5, 0.05);
  EXPECT_EQ(ring.point_count(), 8000u);
}

TEST(Ring, BoundedLoadRejectsNegativeEpsilon) {
  const auto ring = *Ring::build({1, {{1, "a", "r", 1.0}}}, {});
  EXPECT_FALSE(BoundedLoadPlacer::create(&ring, -0.1).ok());
}

}  // namespace
}  // namespace cairn::placement
