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

RC_GTEST_PROP(Mirror, RePairKeepsWholePairsAndPairsEveryOtherMember, ()) {
  const auto before =
      testing::random_membership(*rc::gen::inRange(2, 30), *rc::gen::inRange(1, 4), true);
  const auto pairs = suggest_pairs(before);
  // Some members leave, some join.
  Membership now{before.epoch + 1, {}};
  for (const Node& node : before.nodes) {
    if (*rc::gen::inRange(0, 4) != 0) now.nodes.push_back(node);
  }
  const int joins = *rc::gen::inRange(0, 5);
  for (int i = 0; i < joins; ++i) now.nodes.push_back({NodeId(90000 + i), "z", "", 1});
  std::set<NodeId> members;
  for (const Node& node : now.nodes) members.insert(node.id);
  const auto after = re_pair(pairs, now);
  RC_ASSERT(after.size() == now.nodes.size() / 2);
  std::set<NodeId> seen;
  for (const auto& [a, b] : after) {
    RC_ASSERT(members.count(a) == 1 && members.count(b) == 1);
    RC_ASSERT(seen.insert(a).second && seen.insert(b).second);
  }
  std::set<NodePair> kept(after.begin(), after.end());
  for (const auto& [a, b] : pairs) {
    if (members.count(a) != 0 && members.count(b) != 0) RC_ASSERT(kept.count({a, b}) == 1);
  }
  RC_ASSERT(re_pair(pairs, now) == after);  // the same on every node
}

TEST(Mirror, APartnerLeftIsPairedAcrossZones) {
  // Pairs (1,2) (3,4); node 2 leaves and 5 (zone b) joins: 1 pairs with 5.
  const std::vector<NodePair> pairs{{1, 2}, {3, 4}};
  Membership now{2, {{1, "a", "", 1}, {3, "a", "", 1}, {4, "b", "", 1}, {5, "b", "", 1}}};
  EXPECT_EQ(re_pair(pairs, now), (std::vector<NodePair>{{3, 4}, {1, 5}}));
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
