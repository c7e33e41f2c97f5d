// The repair planner's moves (core/repair/planner.h, "Moves"), one test per promise.
#include <gtest/gtest.h>

#include "core/placement/rendezvous.h"
#include "core/repair/planner.h"
#include "core/repair/testing.h"

namespace cairn::repair {
namespace {

using testing::placed_layout;

// The balanced 4 x 3 cluster of testing::balanced_policy, at epoch 2 without `gone`.
std::shared_ptr<const placement::PlacementPolicy> without(NodeId gone) {
  placement::Membership m = placement::testing::balanced_membership(4, 3);
  m.epoch = 2;
  std::erase_if(m.nodes, [&](const placement::Node& n) { return n.id == gone; });
  auto p = placement::Rendezvous::build(m);
  EXPECT_TRUE(p.ok());
  return std::make_shared<placement::Rendezvous>(std::move(*p));
}

class PlannerMoveTest : public ::testing::Test {
 protected:
  PlannerMoveTest() : policy_(testing::balanced_policy(4, 3)) {
    options_.grace_ticks = 3;
    options_.move_bytes_max = 1;  // one move at a time
  }
  // `count` rs(3, 2) stripes, the first `count` with a shard on `node`.
  std::vector<storage::ChunkLayout> stripes_on(Planner& p, NodeId node, size_t count) {
    std::vector<storage::ChunkLayout> out;
    for (int n = 0; out.size() < count; ++n) {
      auto l = placed_layout(*policy_, n, 3, 2);
      bool on = false;
      for (const auto& s : l.shards) on = on || s.node == node;
      if (!on) continue;
      EXPECT_TRUE(p.set_layout(l).ok());
      out.push_back(l);
    }
    return out;
  }

  PlannerOptions options_;
  std::shared_ptr<const placement::PlacementPolicy> policy_;
};

TEST_F(PlannerMoveTest, NoPlacementChangeNoMoves) {
  Planner p(options_, policy_);
  stripes_on(p, 1, 5);
  p.tick();
  EXPECT_EQ(p.moves_pending(), 0u);
  EXPECT_TRUE(p.ready().tasks.empty());
}

TEST_F(PlannerMoveTest, AShardARepairPutOffThePlacementStays) {
  Planner p(options_, policy_);
  auto l = placed_layout(*policy_, 7, 3, 2);
  auto order = policy_->place(l.chunk.prefix64(), 12);
  ASSERT_TRUE(order.ok());
  l.shards[0].node = (*order)[5];  // where a repair would have put it: not a wanted node
  ASSERT_TRUE(p.set_layout(l).ok());
  EXPECT_EQ(p.moves_pending(), 0u);
  // A change that drops another node of the stripe moves that node's shard only.
  p.set_placement(without(l.shards[1].node));
  EXPECT_EQ(p.moves_pending(), 1u);
  p.tick();
  const Ready r = p.ready();
  ASSERT_EQ(r.tasks.size(), 1u);
  EXPECT_EQ(r.tasks[0].shard, 1);
}

TEST_F(PlannerMoveTest, ANodeThePolicyDropsIsEmptiedOneMoveAtATime) {
  const NodeId gone = 1;
  Planner p(options_, policy_);
  auto layouts = stripes_on(p, gone, 3);
  p.set_placement(without(gone));
  EXPECT_EQ(p.moves_pending(), 3u);
  p.tick();
  Ready r = p.ready();
  for (int round = 0; round < 3; ++round) {
    ASSERT_EQ(r.tasks.size(), 1u) << "round " << round;  // move_bytes_max: one in flight
    const RebuildTask t = r.tasks[0];
    EXPECT_TRUE(t.move);
    EXPECT_EQ(t.from, gone);
    EXPECT_NE(t.to, gone);
    // The old shard stays placed until the move commits.
    EXPECT_EQ(p.layout(t.layout.chunk)->shards[static_cast<size_t>(t.shard)].node, gone);
    EXPECT_TRUE(p.task_done(t.id, absl::OkStatus()));  // frees the budget: the next starts
    const Ready done = p.ready();
    ASSERT_EQ(done.moves.size(), 1u);
    storage::ChunkLayout l = *p.layout(t.layout.chunk);
    l.shards[static_cast<size_t>(t.shard)].node = t.to;
    ASSERT_TRUE(p.set_layout(l).ok());
    p.tick();
    r = p.ready();
    ASSERT_EQ(r.repaired.size(), 1u);
    EXPECT_TRUE(r.repaired[0].move);
    r.tasks.insert(r.tasks.begin(), done.tasks.begin(), done.tasks.end());
    p.check_invariants();
  }
  EXPECT_EQ(p.stripes_on(gone), 0u);
  EXPECT_EQ(p.moves_pending(), 0u);
}

TEST_F(PlannerMoveTest, ANewLeaderWithTheOldThenTheNewPolicyPlansTheSameMoves) {
  const NodeId gone = 2;
  Planner a(options_, policy_);
  Planner b(options_, without(gone));  // never saw the old policy
  auto layouts = stripes_on(a, gone, 4);
  for (const auto& l : layouts) ASSERT_TRUE(b.set_layout(l).ok());
  a.set_placement(without(gone));
  EXPECT_EQ(a.moves_pending(), b.moves_pending());  // a drained node: known from the topology
}

TEST_F(PlannerMoveTest, RepairsGoFirstAndMovesWaitForTheirStripeToBeWhole) {
  const NodeId gone = 1;
  options_.move_bytes_max = 1ull << 30;
  Planner p(options_, policy_);
  auto layouts = stripes_on(p, gone, 2);
  // Shard 0 of the first stripe dies (a node other than `gone`).
  NodeId dead =
      layouts[0].shards[0].node == gone ? layouts[0].shards[1].node : layouts[0].shards[0].node;
  p.node_down(dead);
  for (int i = 0; i < options_.grace_ticks; ++i) p.tick();
  p.ready();
  p.set_placement(without(gone));
  p.tick();
  const Ready r = p.ready();
  ASSERT_FALSE(r.tasks.empty());
  bool seen_move = false;
  for (const RebuildTask& t : r.tasks) {
    if (t.move) {
      seen_move = true;
      EXPECT_NE(t.layout.chunk, layouts[0].chunk);  // damaged: its repair comes first
    } else {
      EXPECT_FALSE(seen_move) << "a repair after a move";
    }
  }
}

TEST_F(PlannerMoveTest, MovesLeaveTheTotalBudgetToRepairs) {
  const NodeId gone = 1;
  const uint64_t task = 3 * storage::erasure_shard_bytes(3, 4096);
  options_.move_bytes_max = task;
  options_.total_bytes_max = 2 * task;
  Planner p(options_, policy_);
  stripes_on(p, gone, 6);
  p.set_placement(without(gone));
  p.tick();
  EXPECT_EQ(p.ready().tasks.size(), 1u);
  EXPECT_EQ(p.move_bytes_in_flight(), task);
  EXPECT_EQ(p.bytes_in_flight(), task);  // the other half stays free for a repair
}

}  // namespace
}  // namespace cairn::repair
