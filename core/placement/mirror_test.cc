#include "core/placement/mirror.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

#include "core/placement/testing.h"

namespace cairn::placement {
namespace {

RC_GTEST_PROP(Mirror, ShardsComeInPartneredPairs, ()) {
  const auto membership =
      testing::random_membership(*rc::gen::inRange(2, 30), *rc::gen::inRange(1, 4), true);
  const auto pairs = suggest_pairs(membership);
  RC_ASSERT(pairs.size() == membership.nodes.size() / 2);
  const auto policy = *MirrorPairs::build(membership, pairs);
  const int count = 2 * *rc::gen::inRange<int>(1, static_cast<int>(pairs.size()) + 1);
  const auto nodes = *policy.place(*rc::gen::arbitrary<uint64_t>(), count);
  RC_ASSERT(static_cast<int>(nodes.size()) == count);
  RC_ASSERT(std::set<NodeId>(nodes.begin(), nodes.end()).size() == nodes.size());
  for (size_t i = 0; i < nodes.size(); i += 2) RC_ASSERT(policy.partner(nodes[i]) == nodes[i + 1]);
  RC_ASSERT(!policy.place(0, count + 1).ok());
}

RC_GTEST_PROP(Mirror, BalancedZonesGivePartnersInDifferentZones, ()) {
  const int zones = *rc::gen::inRange(2, 5);
  const auto membership = testing::balanced_membership(zones, *rc::gen::inRange(1, 6));
  for (const auto& [a, b] : suggest_pairs(membership)) RC_ASSERT(a / 1000 != b / 1000);
}

TEST(Mirror, RejectsBadPairs) {
  Membership m{1, {{1, "a", "r", 1}, {2, "b", "r", 1}, {3, "c", "r", 1}}};
  EXPECT_FALSE(MirrorPairs::build(m, {}).ok());
  EXPECT_FALSE(MirrorPairs::build(m, {{1, 4}}).ok());
  EXPECT_FALSE(MirrorPairs::build(m, {{1, 2}, {2, 3}}).ok());
  auto ok = MirrorPairs::build(m, {{1, 2}});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->partner(3), std::nullopt);
  EXPECT_EQ(ok->partner(2), NodeId{1});
}

}  // namespace
}  // namespace cairn::placement
