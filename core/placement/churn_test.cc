// PlacedStripes: what a join or a leave costs under each policy, on pinned clusters.
#include "core/placement/churn.h"

#include <gtest/gtest.h>

#include "core/placement/modulo.h"

namespace cairn::placement {
namespace {

Membership cluster(uint64_t epoch, std::vector<NodeId> ids) {
  Membership m{epoch, {}};
  for (NodeId id : ids) m.nodes.push_back({id, "z", "r", 1.0});
  return m;
}

std::vector<uint64_t> keys(int n) {
  std::vector<uint64_t> out;
  for (int i = 0; i < n; ++i) out.push_back(mix64(static_cast<uint64_t>(i) + 11));
  return out;
}

const std::vector<NodeId> kEight{101, 202, 303, 404, 505, 606, 707, 808};

std::vector<NodeId> with(std::vector<NodeId> ids, NodeId extra) {
  ids.push_back(extra);
  return ids;
}

std::vector<NodeId> without(std::vector<NodeId> ids, NodeId gone) {
  std::erase(ids, gone);
  return ids;
}

TEST(PlacedStripes, ALeaveMovesExactlyTheLeaversShardsUnderRingAndRendezvous) {
  for (PolicyChoice choice :
       {PolicyChoice{PolicyKind::kRing, 16}, PolicyChoice{PolicyKind::kRendezvous, 0}}) {
    auto p = PlacedStripes::place(choice, cluster(1, kEight), keys(4000), 3);
    ASSERT_TRUE(p.ok()) << p.status();
    const LoadSpread before = p->load();
    auto f = p->change(cluster(2, without(kEight, 303)));
    ASSERT_TRUE(f.ok()) << f.status();
    EXPECT_EQ(f->left, std::vector<NodeId>{303});
    EXPECT_TRUE(f->joined.empty());
    EXPECT_EQ(f->shards, 12000u);
    EXPECT_EQ(f->moved_between_stayers, 0u) << policy_kind_name(choice.kind);
    EXPECT_DOUBLE_EQ(f->moved_over_ideal(), 1.0) << policy_kind_name(choice.kind);
    EXPECT_GT(f->moved, before.min);  // the leaver held its share, which all moved
  }
}

TEST(PlacedStripes, AJoinMovesOnlyToTheNewcomerAboutItsFairShare) {
  for (PolicyChoice choice :
       {PolicyChoice{PolicyKind::kRing, 200}, PolicyChoice{PolicyKind::kRendezvous, 0}}) {
    auto p = PlacedStripes::place(choice, cluster(1, kEight), keys(20000), 3);
    ASSERT_TRUE(p.ok()) << p.status();
    auto f = p->change(cluster(2, with(kEight, 909)));
    ASSERT_TRUE(f.ok()) << f.status();
    EXPECT_EQ(f->joined, std::vector<NodeId>{909});
    EXPECT_DOUBLE_EQ(f->ideal_fraction, 1.0 / 9);
    EXPECT_EQ(f->moved_between_stayers, 0u);
    // Every moved shard went to the newcomer, so it now holds exactly what moved.
    const auto& layouts = p->layouts();
    uint64_t on_newcomer = 0;
    for (const auto& l : layouts) on_newcomer += std::count(l.begin(), l.end(), NodeId{909});
    EXPECT_EQ(on_newcomer, f->moved);
    EXPECT_NEAR(f->moved_over_ideal(), 1.0, 0.25) << policy_kind_name(choice.kind);
  }
}

TEST(PlacedStripes, ModuloReshufflesAlmostEverythingOnAJoin) {
  auto p = PlacedStripes::place({PolicyKind::kModulo}, cluster(1, kEight), keys(20000), 1);
  ASSERT_TRUE(p.ok());
  auto f = p->change(cluster(2, with(kEight, 909)));
  ASSERT_TRUE(f.ok());
  // hash mod 8 and hash mod 9 agree for about 1 key in 9.
  EXPECT_NEAR(f->moved_fraction, 8.0 / 9, 0.02);
  EXPECT_GT(f->moved_between_stayers, f->shards / 2);
  EXPECT_GT(f->moved_over_ideal(), 7.0);
}

TEST(PlacedStripes, RendezvousSpreadsLoadMoreEvenlyThanAFewPointRing) {
  auto ring = PlacedStripes::place({PolicyKind::kRing, 4}, cluster(1, kEight), keys(20000), 3);
  auto hrw = PlacedStripes::place({PolicyKind::kRendezvous}, cluster(1, kEight), keys(20000), 3);
  ASSERT_TRUE(ring.ok() && hrw.ok());
  EXPECT_LT(hrw->load().max_over_mean, 1.05);
  EXPECT_GT(ring->load().max_over_mean, hrw->load().max_over_mean + 0.1);
  EXPECT_DOUBLE_EQ(hrw->load().mean, 60000.0 / 8);
}

TEST(PlacedStripes, AJoinThenTheSameLeaveRestoresThePlacement) {
  auto p = PlacedStripes::place({PolicyKind::kRing, 16}, cluster(1, kEight), keys(3000), 2);
  ASSERT_TRUE(p.ok());
  const auto start = p->layouts();
  ASSERT_TRUE(p->change(cluster(2, with(kEight, 909))).ok());
  auto back = p->change(cluster(3, kEight));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(p->layouts(), start);
}

TEST(PlacedStripes, RefusesBadChangesAndKeepsThePlacement) {
  EXPECT_FALSE(PlacedStripes::place({PolicyKind::kRing, 16}, cluster(1, kEight), {}, 3).ok());
  EXPECT_FALSE(PlacedStripes::place({PolicyKind::kRing, 16}, cluster(1, {1, 2}), keys(10), 3).ok());
  EXPECT_FALSE(PlacedStripes::place({PolicyKind::kRing, 0}, cluster(1, kEight), keys(10), 3).ok());
  auto p = PlacedStripes::place({PolicyKind::kRendezvous}, cluster(5, kEight), keys(500), 3);
  ASSERT_TRUE(p.ok());
  const auto start = p->layouts();
  EXPECT_FALSE(p->change(cluster(5, with(kEight, 909))).ok());  // epoch does not advance
  EXPECT_FALSE(p->change(cluster(6, {101, 202})).ok());         // too few nodes for 3 shards
  EXPECT_FALSE(p->change(cluster(6, {101, 101, 202})).ok());    // a repeated id
  EXPECT_EQ(p->layouts(), start);
  EXPECT_EQ(p->policy().epoch(), 5u);
}

TEST(PlacedStripes, SameInputsGiveTheSameFigures) {
  auto run = [] {
    auto p = PlacedStripes::place({PolicyKind::kRing, 32}, cluster(1, kEight), keys(5000), 3);
    return p->change(cluster(2, with(kEight, 909)))->moved;
  };
  EXPECT_EQ(run(), run());
}

}  // namespace
}  // namespace cairn::placement
