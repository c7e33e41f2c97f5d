// The repair planner with mirror pairs (planner.h, "Mirror pairs"): a lost copy is copied
// from its partner to the partner's new pair, a shard with both copies gone comes back by
// the code and then is copied, and a stripe counts as whole only with every copy.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/repair/planner.h"
#include "core/repair/testing.h"

namespace cairn::repair {
namespace {

using testing::balanced_policy;
using testing::mirrored_layout;

class PlannerMirrorTest : public ::testing::Test {
 protected:
  PlannerMirrorTest() : policy_(balanced_policy(4, 4)) {
    options_.grace_ticks = 2;
    options_.retry_ticks = 1;
    planner_ = std::make_unique<Planner>(options_, policy_);
  }
  storage::ChunkLayout add(int n, int k = 3, int m = 2) {
    auto l = mirrored_layout(*policy_, n, k, m);
    EXPECT_TRUE(planner_->set_layout(l).ok());
    layouts_[l.chunk] = l;
    return l;
  }
  static int zone(NodeId node) { return static_cast<int>(node / 1000); }
  void kill(NodeId node) {
    planner_->node_down(node);
    for (int i = 0; i < options_.grace_ticks; ++i) planner_->tick();
  }
  // Runs every task to success and commits every move until nothing is left to do.
  std::vector<RebuildTask> heal() {
    std::vector<RebuildTask> all;
    for (int round = 0; round < 200; ++round) {
      planner_->check_invariants();
      Ready r = planner_->ready();
      if (r.tasks.empty() && r.moves.empty() && planner_->tasks_in_flight() == 0) break;
      for (const RebuildTask& t : r.tasks) {
        all.push_back(t);
        EXPECT_TRUE(planner_->task_done(t.id, absl::OkStatus()));
      }
      for (const LayoutMove& m : r.moves) {
        storage::ChunkLayout& l = layouts_.at(m.chunk);
        EXPECT_TRUE(testing::apply_move(l, m));
        EXPECT_TRUE(planner_->set_layout(l).ok());
      }
      planner_->tick();
    }
    return all;
  }

  PlannerOptions options_;
  std::shared_ptr<const placement::PlacementPolicy> policy_;
  std::unique_ptr<Planner> planner_;
  std::map<cas::Digest, storage::ChunkLayout> layouts_;
};

TEST_F(PlannerMirrorTest, ALostCopyIsCopiedFromItsPartnerForOneShardsBytes) {
  auto l = add(1);
  const NodeId gone = l.shards[4].node;  // shard 2, first copy
  kill(gone);
  const Ready r = planner_->ready();
  ASSERT_EQ(r.tasks.size(), 1u);
  const RebuildTask& t = r.tasks[0];
  EXPECT_EQ(t.shard, 4);
  EXPECT_EQ(t.from, gone);
  EXPECT_EQ(t.copy_from, l.shards[5].node);
  EXPECT_EQ(t.bytes, l.shard_bytes) << "a copy reads one shard, not k";
  EXPECT_FALSE(t.move);
  EXPECT_EQ(t.spare, 2) << "the shard still has a copy: nothing of the code is spent";
  for (const auto& p : l.shards) EXPECT_NE(p.node, t.to);
  EXPECT_EQ(planner_->damaged_stripes(), 1u);
  EXPECT_EQ(planner_->lost_shards(l.chunk), std::vector<int>{4});
}

TEST_F(PlannerMirrorTest, AnOrphanedPartnerTakesTheFirstFreeNodeOfItsOwnOrder) {
  for (int n = 0; n < 60; ++n) add(n);
  const NodeId gone = policy_->topology().node(5).id;
  kill(gone);
  const std::vector<RebuildTask> tasks = heal();
  ASSERT_FALSE(tasks.empty());
  std::set<NodeId> partners;
  for (const RebuildTask& t : tasks) {
    ASSERT_EQ(t.from, gone);
    ASSERT_NE(t.copy_from, kNoNode) << "every lost copy has its partner";
    EXPECT_EQ(t.bytes, t.layout.shard_bytes);
    partners.insert(t.copy_from);
    // The same preference for every stripe of this partner: its own order, first a free
    // node in another zone.
    auto order = policy_->place(placement::mix64(t.copy_from), 16);
    ASSERT_TRUE(order.ok());
    NodeId want = kNoNode;
    for (int pass = 0; pass < 2 && want == kNoNode; ++pass) {
      for (NodeId node : *order) {
        bool free = node != gone;
        for (const auto& p : t.layout.shards) free = free && p.node != node;
        if (free && (pass == 1 || zone(node) != zone(t.copy_from))) {
          want = node;
          break;
        }
      }
    }
    EXPECT_EQ(t.to, want);
  }
  EXPECT_EQ(partners.size(), 1u) << "the dead node had one partner";
  EXPECT_EQ(planner_->stripes_on(gone), 0u);
  for (const auto& [chunk, l] : layouts_) {
    for (const auto& p : l.shards) EXPECT_NE(p.node, gone);
  }
  EXPECT_EQ(planner_->damaged_stripes(), 0u);
}

TEST_F(PlannerMirrorTest, BothCopiesLostComeBackByTheCodeThenByACopy) {
  auto l = add(2);
  const NodeId a = l.shards[2].node, b = l.shards[3].node;  // shard 1's pair
  planner_->node_down(a);
  kill(b);
  Ready r = planner_->ready();
  ASSERT_EQ(r.tasks.size(), 1u) << "the even slot first";
  EXPECT_EQ(r.tasks[0].shard, 2);
  EXPECT_EQ(r.tasks[0].copy_from, kNoNode);
  EXPECT_EQ(r.tasks[0].bytes, 3 * l.shard_bytes);
  EXPECT_EQ(r.tasks[0].spare, 1) << "shard 1 has no copy left";
  layouts_[l.chunk] = l;
  ASSERT_TRUE(planner_->task_done(r.tasks[0].id, absl::OkStatus()));
  r = planner_->ready();
  ASSERT_EQ(r.moves.size(), 1u);
  ASSERT_TRUE(testing::apply_move(layouts_[l.chunk], r.moves[0]));
  ASSERT_TRUE(planner_->set_layout(layouts_[l.chunk]).ok());
  planner_->tick();
  r = planner_->ready();
  ASSERT_EQ(r.tasks.size(), 1u) << "then the odd slot, copied from the rebuilt one";
  EXPECT_EQ(r.tasks[0].shard, 3);
  EXPECT_EQ(r.tasks[0].copy_from, layouts_[l.chunk].shards[2].node);
  EXPECT_EQ(r.tasks[0].bytes, l.shard_bytes);
}

TEST_F(PlannerMirrorTest, MoreShardsWithoutACopyThanParityIsUnrecoverable) {
  auto l = add(3, 3, 2);
  for (int slot : {0, 1, 2, 3}) {
    ASSERT_TRUE(planner_->report_corrupt(l.chunk, slot, l.shards[slot].node).ok());
  }
  planner_->tick();
  EXPECT_TRUE(planner_->ready().unrecoverable.empty()) << "two shards gone of parity two";
  ASSERT_TRUE(planner_->report_corrupt(l.chunk, 8, l.shards[8].node).ok());
  ASSERT_TRUE(planner_->report_corrupt(l.chunk, 9, l.shards[9].node).ok());
  planner_->tick();
  EXPECT_EQ(planner_->ready().unrecoverable, std::vector<cas::Digest>{l.chunk});
}

}  // namespace
}  // namespace cairn::repair
