// Removing the leader (dissertation §4.2.2) with configurations that take effect when
// applied: a survivor that has not learned that the removal committed still counts the
// removed leader as a voter, so the removed leader must stay electable-for (its log may
// not outgrow the survivors') and should hand leadership over rather than go silent.
// Two nodes driven by hand, with every message routed (or dropped) explicitly.
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "core/raft/testing/raft_test_util.h"

namespace cairn::raft::testing {
namespace {

wire::ConfChange removal(NodeId node) {
  wire::ConfChange c;
  c.set_type(wire::CONF_REMOVE_NODE);
  c.set_node(node);
  return c;
}

// Nodes 1 and 3 of configuration {1, 3}; messages move only when delivered.
class TwoNodes {
 public:
  TwoNodes() {
    nodes_.emplace(1, std::make_unique<TestNode>(test_config(1, {1, 3})));
    nodes_.emplace(3, std::make_unique<TestNode>(test_config(3, {1, 3})));
  }
  TestNode& n(NodeId id) { return *nodes_.at(id); }

  // Delivers messages until none is left; `drop` decides which ones are lost.
  void settle(const std::function<bool(const wire::Message&)>& drop = nullptr) {
    for (int round = 0; round < 100; ++round) {
      std::vector<wire::Message> out;
      for (auto& [id, node] : nodes_) {
        for (wire::Message& m : node->drain()) out.push_back(std::move(m));
      }
      if (out.empty()) return;
      for (const wire::Message& m : out) {
        if (drop && drop(m)) continue;
        ASSERT_TRUE(n(m.to())->step(m).ok());
      }
    }
    FAIL() << "messages did not settle";
  }

  // n1 leads {1, 3}, both logs equal and committed.
  void elect_n1() {
    n(1)->campaign();
    settle();
    ASSERT_EQ(n(1)->role(), Role::kLeader);
    ASSERT_EQ(n(3)->log().commit(), n(1)->log().last_index());
  }

 private:
  std::map<NodeId, std::unique_ptr<TestNode>> nodes_;
};

TEST(RaftLeaderRemoval, LeaderWhoseRemovalIsPendingTakesNoProposals) {
  TwoNodes c;
  c.elect_n1();
  ASSERT_TRUE(c.n(1)->propose("before").ok());
  const absl::StatusOr<uint64_t> index = c.n(1)->propose_conf_change(removal(1));
  ASSERT_TRUE(index.ok());
  const absl::StatusOr<uint64_t> after = c.n(1)->propose("after");
  EXPECT_TRUE(absl::IsUnavailable(after.status())) << after.status();
  EXPECT_EQ(c.n(1)->log().last_index(), *index);  // nothing follows the removal
  c.settle();
  // Removing another node leaves the leader free to take proposals meanwhile.
  TwoNodes d;
  d.elect_n1();
  ASSERT_TRUE(d.n(1)->propose_conf_change(removal(3)).ok());
  EXPECT_TRUE(d.n(1)->propose("meanwhile").ok());
}

TEST(RaftLeaderRemoval, RemovedLeaderHandsOffToACaughtUpVoterAndStepsDown) {
  TwoNodes c;
  c.elect_n1();
  ASSERT_TRUE(c.n(1)->propose_conf_change(removal(1)).ok());
  std::vector<wire::Message> timeout_now;
  c.settle([&](const wire::Message& m) {
    if (m.type() == wire::MSG_TIMEOUT_NOW) timeout_now.push_back(m);
    return false;
  });
  ASSERT_EQ(timeout_now.size(), 1u);
  EXPECT_EQ(timeout_now[0].from(), 1u);
  EXPECT_EQ(timeout_now[0].to(), 3u);
  EXPECT_EQ(c.n(1)->role(), Role::kFollower);
  EXPECT_FALSE(c.n(1)->is_voter());
  // n3 campaigned at once and won; alone in the configuration, it commits by itself.
  EXPECT_EQ(c.n(3)->role(), Role::kLeader);
  EXPECT_EQ(c.n(3)->voters(), (std::set<NodeId>{3}));
  const absl::StatusOr<uint64_t> index = c.n(3)->propose("alone");
  ASSERT_TRUE(index.ok());
  c.n(3).drain();
  EXPECT_EQ(c.n(3)->log().commit(), *index);
}

// The schedule that found it: a client write reaches n1 after its removal entry went out;
// then the removal commits, n1 applies it and steps down, and every message n1 sends from
// then on is lost (the write, the commit index, the hand-off).
TEST(RaftLeaderRemoval, SurvivorThatMissedTheCommitStillWinsTheRemovedLeadersVote) {
  TwoNodes c;
  c.elect_n1();
  const absl::StatusOr<uint64_t> removal_index = c.n(1)->propose_conf_change(removal(1));
  ASSERT_TRUE(removal_index.ok());
  for (const wire::Message& m : c.n(1).drain()) ASSERT_TRUE(c.n(3)->step(m).ok());
  const std::vector<wire::Message> acks = c.n(3).drain();
  (void)c.n(1)->propose("client write after the removal");  // refused: see above
  c.n(1).drain();                                           // lost
  for (const wire::Message& m : acks) ASSERT_TRUE(c.n(1)->step(m).ok());
  c.settle([](const wire::Message& m) { return m.from() == 1; });
  ASSERT_FALSE(c.n(1)->is_voter());
  ASSERT_EQ(c.n(1)->role(), Role::kFollower);
  ASSERT_LT(c.n(3)->log().commit(), *removal_index);  // n3 never heard that it committed
  ASSERT_EQ(c.n(3)->voters(), (std::set<NodeId>{1, 3}));
  EXPECT_EQ(c.n(1)->log().last_index(), *removal_index);

  // n3 times out and asks n1 (still a voter in n3's view) for its vote.
  for (int i = 0; i < 2 * c.n(3).config.election_ticks && c.n(3)->role() == Role::kFollower; ++i) {
    c.n(3)->tick();
  }
  ASSERT_EQ(c.n(3)->role(), Role::kCandidate);
  c.settle();
  EXPECT_EQ(c.n(3)->role(), Role::kLeader);
  EXPECT_EQ(c.n(3)->voters(), (std::set<NodeId>{3}));  // its no-op committed the removal
  EXPECT_GE(c.n(3)->log().commit(), *removal_index);
  const absl::StatusOr<uint64_t> index = c.n(3)->propose("progress");
  ASSERT_TRUE(index.ok());
  c.n(3).drain();
  EXPECT_EQ(c.n(3)->log().commit(), *index);
}

}  // namespace
}  // namespace cairn::raft::testing
