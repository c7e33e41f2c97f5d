// The repair planner's promises (core/repair/planner.h), one test per sentence.
#include "core/repair/planner.h"

#include <gtest/gtest.h>

#include <set>

#include "core/repair/testing.h"

namespace cairn::repair {
namespace {

using testing::balanced_policy;
using testing::placed_layout;

class PlannerTest : public ::testing::Test {
 protected:
  PlannerTest() : policy_(balanced_policy(4, 3)) {
    options_.grace_ticks = 3;
    options_.retry_ticks = 2;
    options_.task_timeout_ticks = 10;
  }
  Planner& planner() {
    if (!planner_) planner_ = std::make_unique<Planner>(options_, policy_);
    return *planner_;
  }
  storage::ChunkLayout add(int n, int k = 3, int m = 2, uint64_t bytes = 4096) {
    auto l = placed_layout(*policy_, n, k, m, bytes);
    EXPECT_TRUE(planner().set_layout(l).ok());
    return l;
  }
  void ticks(int n) {
    for (int i = 0; i < n; ++i) {
      planner().tick();
      planner().check_invariants();
    }
  }
  int zone(NodeId node) const { return static_cast<int>(node / 1000); }
  // Shard 0's node dies; returns the one task planned for it.
  RebuildTask lose_first_shard(const storage::ChunkLayout& l) {
    planner().node_down(l.shards[0].node);
    ticks(options_.grace_ticks);
    const Ready r = planner().ready();
    EXPECT_EQ(r.tasks.size(), 1u);
    return r.tasks.at(0);
  }

  PlannerOptions options_;
  std::shared_ptr<const placement::PlacementPolicy> policy_;
  std::unique_ptr<Planner> planner_;
};

TEST_F(PlannerTest, NodeBackWithinTheGraceCostsNoRepair) {
  auto l = add(1);
  planner().node_down(l.shards[0].node);
  ticks(options_.grace_ticks - 1);
  planner().node_up(l.shards[0].node);
  ticks(20);
  const Ready r = planner().ready();
  EXPECT_TRUE(r.empty());
  EXPECT_FALSE(planner().dead(l.shards[0].node));
}

TEST_F(PlannerTest, ANodeSeenDownBeforeThePlannerExistedUsesUpItsGraceFromThen) {
  auto l = add(1);
  const NodeId gone = l.shards[2].node;
  // A new leader's planner: its detector held the node dead for grace - 1 ticks already.
  planner().node_down(gone, static_cast<uint64_t>(options_.grace_ticks - 1));
  EXPECT_TRUE(planner().ready().declared_dead.empty());
  ticks(1);
  Ready r = planner().ready();
  EXPECT_EQ(r.declared_dead, std::vector<NodeId>{gone});
  EXPECT_EQ(r.tasks.size(), 1u);
  // Seen long ago: dead at the next tick, not a whole grace later.
  const NodeId other = l.shards[3].node;
  planner().node_down(other, 1000);
  ticks(1);
  r = planner().ready();
  EXPECT_EQ(r.declared_dead, std::vector<NodeId>{other});
}

TEST_F(PlannerTest, NodeDownForTheGraceIsDeadAndItsShardsAreRebuiltElsewhere) {
  auto l = add(1);
  const NodeId gone = l.shards[1].node;
  planner().node_down(gone);
  ticks(options_.grace_ticks);
  const Ready r = planner().ready();
  ASSERT_EQ(r.declared_dead, std::vector<NodeId>{gone});
  ASSERT_EQ(r.tasks.size(), 1u);
  const RebuildTask& t = r.tasks[0];
  EXPECT_EQ(t.shard, 1);
  EXPECT_EQ(t.from, gone);
  EXPECT_EQ(t.bytes, l.shard_bytes * 3);
  EXPECT_EQ(t.spare, 1);
  std::set<int> zones;
  for (const auto& p : l.shards) {
    EXPECT_NE(p.node, t.to);
    if (p.node != gone) zones.insert(zone(p.node));
  }
  // Four zones and four surviving shards: the target takes an unused zone when one exists.
  if (zones.size() < 4) {
    EXPECT_EQ(zones.count(zone(t.to)), 0u);
  }
}

TEST_F(PlannerTest, MostDamagedStripeGoesFirst) {
  auto a = add(1);
  auto b = add(2);
  // b loses two shards (no spare left), a one (one spare): b's tasks come first.
  std::set<NodeId> down = {b.shards[0].node, b.shards[1].node};
  for (NodeId n : down) planner().node_down(n);
  ticks(options_.grace_ticks);
  const Ready r = planner().ready();
  ASSERT_FALSE(r.tasks.empty());
  for (size_t i = 1; i < r.tasks.size(); ++i) EXPECT_LE(r.tasks[i - 1].spare, r.tasks[i].spare);
  EXPECT_EQ(r.tasks[0].layout.chunk, b.chunk);
  EXPECT_EQ(r.tasks[0].spare, 0);
}

TEST_F(PlannerTest, TotalBudgetHoldsBackLessUrgentWork) {
  options_.total_bytes_max = 2 * 3 * storage::erasure_shard_bytes(3, 4096);
  std::vector<storage::ChunkLayout> ls;
  for (int i = 0; i < 6; ++i) ls.push_back(add(i));
  const NodeId gone = ls[0].shards[0].node;
  planner().node_down(gone);
  ticks(options_.grace_ticks);
  Ready r = planner().ready();
  EXPECT_LE(r.tasks.size(), 2u);
  EXPECT_LE(planner().bytes_in_flight(), options_.total_bytes_max);
  ASSERT_FALSE(r.tasks.empty());
  // A finished task frees its bytes for the next.
  const size_t before = planner().tasks_in_flight();
  EXPECT_TRUE(planner().task_done(r.tasks[0].id, absl::OkStatus()));
  r = planner().ready();
  EXPECT_EQ(r.moves.size(), 1u);
  EXPECT_LE(planner().bytes_in_flight(), options_.total_bytes_max);
  EXPECT_GE(planner().tasks_in_flight(), before);
}

TEST_F(PlannerTest, NodeBudgetSpreadsWorkOverNodes) {
  options_.node_bytes_max = 3 * storage::erasure_shard_bytes(3, 4096);
  for (int i = 0; i < 12; ++i) add(i);
  planner().node_down(1);
  ticks(options_.grace_ticks);
  const Ready r = planner().ready();
  std::map<NodeId, int> per_node;
  for (const auto& t : r.tasks) ++per_node[t.to];
  for (const auto& [node, n] : per_node) EXPECT_EQ(n, 1) << "node " << node;
}

TEST_F(PlannerTest, SuccessIsAMoveAndTheAppliedLayoutEndsTheRepair) {
  auto l = add(1);
  planner().node_down(l.shards[2].node);
  ticks(options_.grace_ticks);
  Ready r = planner().ready();
  ASSERT_EQ(r.tasks.size(), 1u);
  const RebuildTask t = r.tasks[0];
  ASSERT_TRUE(planner().task_done(t.id, absl::OkStatus()));
  r = planner().ready();
  ASSERT_EQ(r.moves.size(), 1u);
  EXPECT_EQ(r.moves[0].chunk, l.chunk);
  EXPECT_EQ(r.moves[0].from, l.shards[2].node);
  EXPECT_EQ(r.moves[0].to, t.to);
  EXPECT_EQ(planner().bytes_in_flight(), 0u);
  l.shards[2].node = t.to;
  ASSERT_TRUE(planner().set_layout(l).ok());
  r = planner().ready();
  ASSERT_EQ(r.repaired.size(), 1u);
  EXPECT_EQ(r.repaired[0].to, t.to);
  EXPECT_TRUE(planner().lost_shards(l.chunk).empty());
  EXPECT_EQ(planner().tasks_in_flight(), 0u);
  ticks(50);
  EXPECT_TRUE(planner().ready().tasks.empty());
}

TEST_F(PlannerTest, FailedTaskIsRetriedLaterOnAnotherNode) {
  auto l = add(1);
  const RebuildTask first = lose_first_shard(l);
  ASSERT_TRUE(planner().task_done(first.id, absl::UnavailableError("target full")));
  ticks(options_.retry_ticks - 1);
  EXPECT_TRUE(planner().ready().tasks.empty());  // waits retry_ticks
  ticks(1);
  const Ready r = planner().ready();
  ASSERT_EQ(r.tasks.size(), 1u);
  EXPECT_EQ(r.tasks[0].shard, first.shard);
  EXPECT_NE(r.tasks[0].to, first.to);
  EXPECT_FALSE(planner().task_done(first.id, absl::OkStatus()));  // a late answer: ignored
}

TEST_F(PlannerTest, UnansweredTaskTimesOutAndIsPlannedAgain) {
  auto l = add(1);
  const RebuildTask first = lose_first_shard(l);
  ticks(options_.task_timeout_ticks + options_.retry_ticks);
  const Ready r = planner().ready();
  ASSERT_EQ(r.tasks.size(), 1u);
  EXPECT_NE(r.tasks[0].id, first.id);
  EXPECT_FALSE(planner().task_done(first.id, absl::OkStatus()));
}

TEST_F(PlannerTest, TargetGoingDownFailsItsTaskAtOnce) {
  auto l = add(1);
  const RebuildTask first = lose_first_shard(l);
  planner().node_down(first.to);
  EXPECT_EQ(planner().tasks_in_flight(), 0u);
  EXPECT_FALSE(planner().task_done(first.id, absl::OkStatus()));
  ticks(options_.retry_ticks);
  const Ready r = planner().ready();
  ASSERT_EQ(r.tasks.size(), 1u);
  EXPECT_NE(r.tasks[0].to, first.to);
}

TEST_F(PlannerTest, TaskWhoseLayoutChangedElsewhereIsDropped) {
  auto l = add(1);
  const RebuildTask t = lose_first_shard(l);
  // Another leader already moved the shard (to a node of its own choosing).
  NodeId other = kNoNode;
  for (NodeId n : {1001u, 2001u, 3001u, 1002u, 2002u, 3002u}) {
    bool used = n == t.to;
    for (const auto& p : l.shards) used = used || p.node == n;
    if (!used) other = n;
  }
  ASSERT_NE(other, kNoNode);
  l.shards[0].node = other;
  ASSERT_TRUE(planner().set_layout(l).ok());
  EXPECT_EQ(planner().tasks_in_flight(), 0u);
  EXPECT_EQ(planner().bytes_in_flight(), 0u);
  EXPECT_FALSE(planner().task_done(t.id, absl::OkStatus()));
  const Ready r = planner().ready();
  EXPECT_TRUE(r.moves.empty());
  EXPECT_TRUE(r.repaired.empty());
  ticks(20);
  EXPECT_TRUE(planner().ready().tasks.empty());
}

TEST_F(PlannerTest, AFinishedTaskFreesItsBudgetForTheNextAtOnce) {
  options_.total_bytes_max = 3 * storage::erasure_shard_bytes(3, 4096);  // one task at a time
  auto a = add(1);
  std::vector<storage::ChunkLayout> more;
  for (int i = 2; i < 60 && more.empty(); ++i) {
    auto l = placed_layout(*policy_, i, 3, 2, 4096);
    if (l.shards[0].node == a.shards[0].node) more.push_back(l);
  }
  ASSERT_FALSE(more.empty());
  ASSERT_TRUE(planner().set_layout(more[0]).ok());
  const RebuildTask first = lose_first_shard(a);
  ASSERT_EQ(planner().tasks_running(), 1u);
  ASSERT_TRUE(planner().task_done(first.id, absl::OkStatus()));
  const Ready r = planner().ready();  // no tick in between
  EXPECT_EQ(r.moves.size(), 1u);
  ASSERT_EQ(r.tasks.size(), 1u);
  EXPECT_NE(r.tasks[0].layout.chunk, first.layout.chunk);
}

TEST_F(PlannerTest, CorruptShardIsRebuiltInPlaceWithoutAGraceOrAMove) {
  auto l = add(1);
  ASSERT_TRUE(planner().report_corrupt(l.chunk, 3, l.shards[3].node).ok());
  ticks(1);
  Ready r = planner().ready();
  ASSERT_EQ(r.tasks.size(), 1u);
  EXPECT_EQ(r.tasks[0].shard, 3);
  EXPECT_EQ(r.tasks[0].to, l.shards[3].node);
  EXPECT_EQ(r.tasks[0].from, l.shards[3].node);
  EXPECT_EQ(planner().bytes_in_flight(l.shards[3].node), l.shard_bytes * 3);
  ASSERT_TRUE(planner().task_done(r.tasks[0].id, absl::OkStatus()));
  r = planner().ready();
  EXPECT_TRUE(r.moves.empty());  // the layout already names the node: nothing to commit
  ASSERT_EQ(r.repaired.size(), 1u);
  EXPECT_EQ(r.repaired[0].shard, 3);
  EXPECT_EQ(r.repaired[0].to, l.shards[3].node);
  EXPECT_EQ(planner().tasks_in_flight(), 0u);
  EXPECT_EQ(planner().bytes_in_flight(), 0u);
  EXPECT_TRUE(planner().lost_shards(l.chunk).empty());
  ticks(20);
  EXPECT_TRUE(planner().ready().empty());
}

TEST_F(PlannerTest, InPlaceRebuildThatFailsMovesTheShardElsewhere) {
  auto l = add(1);
  ASSERT_TRUE(planner().report_corrupt(l.chunk, 3, l.shards[3].node).ok());
  ticks(1);
  const RebuildTask first = planner().ready().tasks.at(0);
  ASSERT_EQ(first.to, l.shards[3].node);
  ASSERT_TRUE(planner().task_done(first.id, absl::UnavailableError("disk full")));
  ticks(options_.retry_ticks);
  const Ready r = planner().ready();
  ASSERT_EQ(r.tasks.size(), 1u);
  for (const auto& p : l.shards) EXPECT_NE(p.node, r.tasks[0].to);
  ASSERT_TRUE(planner().task_done(r.tasks[0].id, absl::OkStatus()));
  const Ready committed = planner().ready();
  ASSERT_EQ(committed.moves.size(), 1u);
  EXPECT_EQ(committed.moves[0].from, l.shards[3].node);
}

// Found by PlannerProperty seed 1: an in-place rebuild that timed out but then succeeded
// left its shard counted lost for good; with the stripe's other shard's node down, the
// stripe looked past saving though it had its k shards.
TEST_F(PlannerTest, LateSuccessInPlaceCountsTheShardAgain) {
  auto l = add(1);
  ASSERT_TRUE(planner().report_corrupt(l.chunk, 3, l.shards[3].node).ok());
  ticks(1);
  const RebuildTask t = planner().ready().tasks.at(0);
  ASSERT_EQ(t.to, l.shards[3].node);
  ticks(options_.task_timeout_ticks);  // timed out: the planner gave up on it
  planner().ready();
  EXPECT_FALSE(planner().task_done(t.id, absl::OkStatus()));
  planner().shard_restored(l.chunk, 3, l.shards[3].node);
  EXPECT_TRUE(planner().lost_shards(l.chunk).empty());
  EXPECT_EQ(planner().tasks_in_flight(), 0u);
  const Ready r = planner().ready();
  ASSERT_EQ(r.repaired.size(), 1u);
  EXPECT_EQ(r.repaired[0].to, l.shards[3].node);
  // A claim for a node the layout does not have there changes nothing.
  ASSERT_TRUE(planner().report_corrupt(l.chunk, 2, l.shards[2].node).ok());
  planner().shard_restored(l.chunk, 2, l.shards[3].node);
  EXPECT_EQ(planner().lost_shards(l.chunk), std::vector<int>{2});
}

TEST_F(PlannerTest, CorruptShardOnADownNodeIsRebuiltElsewhere) {
  auto l = add(1);
  planner().node_down(l.shards[3].node);
  ASSERT_TRUE(planner().report_corrupt(l.chunk, 3, l.shards[3].node).ok());
  ticks(1);
  const Ready r = planner().ready();
  ASSERT_EQ(r.tasks.size(), 1u);
  for (const auto& p : l.shards) EXPECT_NE(p.node, r.tasks[0].to);
}

TEST_F(PlannerTest, ShardsOnWalksANodesShardsInBatchesSkippingYoungAndLostOnes) {
  std::vector<storage::ChunkLayout> all;
  for (int i = 1; i <= 40; ++i) all.push_back(add(i));
  const NodeId node = all[0].shards[0].node;
  std::set<std::pair<cas::Digest, int>> want;
  for (const auto& l : all) {
    for (int i = 0; i < l.total_shards(); ++i) {
      if (l.shards[static_cast<size_t>(i)].node == node) want.insert({l.chunk, i});
    }
  }
  ASSERT_FALSE(want.empty());
  // Every layout is younger than 5 ticks: nothing yet, though the walk still ends.
  AuditBatch young = planner().shards_on(node, std::nullopt, 1000, 5);
  EXPECT_TRUE(young.shards.empty());
  ticks(5);
  std::set<std::pair<cas::Digest, int>> got;
  std::optional<cas::Digest> after;
  int batches = 0;
  do {
    AuditBatch b = planner().shards_on(node, after, 2, 5);
    EXPECT_LE(b.shards.size(), 2u);
    for (const PlacedShard& p : b.shards) {
      EXPECT_EQ(p.digest, planner().layout(p.chunk)->shards[static_cast<size_t>(p.shard)].digest);
      EXPECT_TRUE(got.insert({p.chunk, p.shard}).second);
    }
    after = b.next_after;
    ++batches;
  } while (after && batches < 1000);
  EXPECT_EQ(got, want);
  // A shard already counted lost is not asked about again.
  const auto first = *want.begin();
  ASSERT_TRUE(planner().report_corrupt(first.first, first.second, node).ok());
  AuditBatch rest = planner().shards_on(node, std::nullopt, 1000, 5);
  for (const PlacedShard& p : rest.shards) EXPECT_NE(std::make_pair(p.chunk, p.shard), first);
  EXPECT_EQ(rest.shards.size(), want.size() - 1);
}

TEST_F(PlannerTest, StaleOrUnknownCorruptReportIsRefused) {
  auto l = add(1);
  EXPECT_TRUE(absl::IsFailedPrecondition(planner().report_corrupt(l.chunk, 3, l.shards[2].node)));
  EXPECT_TRUE(absl::IsFailedPrecondition(planner().report_corrupt(l.chunk, 9, l.shards[2].node)));
  auto other = placed_layout(*policy_, 2, 3, 2);
  EXPECT_TRUE(absl::IsNotFound(planner().report_corrupt(other.chunk, 0, other.shards[0].node)));
  ticks(1);
  EXPECT_TRUE(planner().ready().empty());
}

TEST_F(PlannerTest, InvalidLayoutIsRefusedAndChangesNothing) {
  auto l = placed_layout(*policy_, 1, 3, 2);
  l.shards.pop_back();
  EXPECT_TRUE(absl::IsInvalidArgument(planner().set_layout(l)));
  EXPECT_EQ(planner().layout(l.chunk), nullptr);
}

TEST_F(PlannerTest, StripeBeyondSavingIsReportedOnceAndNotPlanned) {
  auto l = add(1);
  for (int i = 0; i < 3; ++i) planner().node_down(l.shards[static_cast<size_t>(i)].node);
  ticks(options_.grace_ticks);
  Ready r = planner().ready();
  EXPECT_EQ(r.unrecoverable, std::vector<cas::Digest>{l.chunk});
  EXPECT_TRUE(r.tasks.empty());
  ticks(10);
  r = planner().ready();
  EXPECT_TRUE(r.unrecoverable.empty());
}

TEST_F(PlannerTest, DroppedChunkIsNoLongerRepaired) {
  auto l = add(1);
  const RebuildTask t = lose_first_shard(l);
  planner().drop_chunk(l.chunk);
  EXPECT_EQ(planner().tasks_in_flight(), 0u);
  EXPECT_FALSE(planner().task_done(t.id, absl::OkStatus()));
  ticks(20);
  EXPECT_TRUE(planner().ready().empty());
}

}  // namespace
}  // namespace cairn::repair
