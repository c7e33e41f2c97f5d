// Features beyond the paper's core (dissertation): PreVote, CheckQuorum, restart from
// disk, snapshots and InstallSnapshot, learners, leadership transfer, ReadIndex.
#include <gtest/gtest.h>

#include "core/raft/testing/cluster_harness.h"
#include "core/raft/testing/raft_test_util.h"

namespace cairn::raft::testing {
namespace {

ClusterOptions quiet_options(uint32_t nodes, uint32_t spares = 0) {
  ClusterOptions o;
  o.nodes = nodes;
  o.spares = spares;
  o.defer_ready_percent = 0;
  return o;
}

// Node 1 campaigns and n2's vote makes it leader of term 1.
bool win_election_in_term_1(TestNode& n) {
  n->campaign();
  n.drain();
  const bool stepped = n->step(message(wire::MSG_VOTE_RESPONSE, 2, 1, 1)).ok();
  n.drain();
  return stepped && n->role() == Role::kLeader;
}

NodeId wait_for_leader(Cluster& c, uint32_t max_steps = 400) {
  for (uint32_t i = 0; i < max_steps && c.leader() == kNoNode; ++i) c.step();
  return c.leader();
}

TEST(ClusterHarness, ElectsLeaderAndServesClients) {
  Cluster cluster(quiet_options(3));
  cluster.run(400);
  EXPECT_NE(cluster.leader(), kNoNode);
  EXPECT_GT(cluster.completed_ops(), 20u);
  EXPECT_TRUE(cluster.write_completes_within(200));
  EXPECT_TRUE(cluster.check_all().empty());
}

TEST(RaftFeatures, PreVoteKeepsAPartitionedNodeFromRaisingItsTerm) {
  Cluster cluster(quiet_options(3));
  const NodeId leader = wait_for_leader(cluster);
  ASSERT_NE(leader, kNoNode);
  const NodeId other = leader % 3 + 1;
  const uint64_t term = cluster.node(other)->term();
  cluster.isolate(other);
  cluster.run(400);
  EXPECT_EQ(cluster.node(other)->term(), term);  // pre-votes failed; no disruption
  cluster.heal();
  cluster.run(100);
  EXPECT_EQ(cluster.leader(), leader);
}

TEST(RaftFeatures, CheckQuorumMakesAnIsolatedLeaderStepDown) {
  Cluster cluster(quiet_options(3));
  const NodeId leader = wait_for_leader(cluster);
  ASSERT_NE(leader, kNoNode);
  cluster.isolate(leader);
  cluster.run(200);
  EXPECT_NE(cluster.node(leader)->role(), Role::kLeader);
  EXPECT_NE(cluster.leader(), kNoNode);
  EXPECT_NE(cluster.leader(), leader);
}

TEST(RaftFeatures, RestartRecoversTermVoteAndLogFromDisk) {
  Cluster cluster(quiet_options(3));
  cluster.run(300);
  const NodeId n = 2;
  const uint64_t term = cluster.node(n)->term();
  const uint64_t stable = cluster.node(n)->log().stable_index();
  cluster.crash(n);
  cluster.restart(n);
  EXPECT_EQ(cluster.node(n)->term(), term);
  EXPECT_GE(cluster.node(n)->log().last_index(), stable);
  EXPECT_TRUE(cluster.write_completes_within(300));
  EXPECT_TRUE(cluster.check_all().empty());
}

TEST(RaftFeatures, LaggingFollowerCatchesUpThroughInstallSnapshot) {
  ClusterOptions o = quiet_options(3);
  o.compact_every = 10;
  Cluster cluster(o);
  const NodeId leader = wait_for_leader(cluster);
  const NodeId lagging = leader % 3 + 1;
  cluster.crash(lagging);
  cluster.run(600);
  ASSERT_GT(cluster.node(leader)->log().snapshot_index(), 0u);
  cluster.restart(lagging);
  cluster.run(300);
  EXPECT_GE(cluster.node(lagging)->log().snapshot_index(), 1u);
  EXPECT_GE(cluster.node(lagging)->log().commit(), cluster.node(leader)->log().snapshot_index());
  EXPECT_TRUE(cluster.check_all().empty());
}

TEST(RaftFeatures, LearnerCatchesUpThenIsPromotedToVoter) {
  Cluster cluster(quiet_options(3, 1));
  ASSERT_NE(wait_for_leader(cluster), kNoNode);
  cluster.run(200);
  ASSERT_TRUE(cluster.add_learner(4).ok());
  cluster.run(100);
  Raft* leader = cluster.node(cluster.leader());
  EXPECT_EQ(leader->learners().count(4), 1u);
  EXPECT_EQ(leader->voters().count(4), 0u);
  ASSERT_TRUE(cluster.promote(4).ok());
  cluster.run(100);
  leader = cluster.node(cluster.leader());
  EXPECT_EQ(leader->voters().count(4), 1u);
  EXPECT_EQ(cluster.node(4)->voters().count(4), 1u);
  EXPECT_TRUE(cluster.write_completes_within(200));
  EXPECT_TRUE(cluster.check_all().empty());
}

TEST(RaftFeatures, OnlyOneConfigurationChangeAtATime) {
  TestNode n(test_config(1, {1}));
  n->campaign();
  n.drain();
  ASSERT_EQ(n->role(), Role::kLeader);
  wire::ConfChange add;
  add.set_type(wire::CONF_ADD_LEARNER);
  add.set_node(2);
  ASSERT_TRUE(n->propose_conf_change(add).ok());
  add.set_node(3);
  EXPECT_TRUE(absl::IsFailedPrecondition(n->propose_conf_change(add).status()));
  n.drain();  // the first change commits and applies
  EXPECT_TRUE(n->propose_conf_change(add).ok());
}

TEST(RaftFeatures, LeadershipTransferHandsOverToTheTarget) {
  Cluster cluster(quiet_options(5));
  const NodeId leader = wait_for_leader(cluster);
  ASSERT_NE(leader, kNoNode);
  const NodeId target = leader % 5 + 1;
  ASSERT_TRUE(cluster.transfer_leadership(target).ok());
  cluster.run(60);
  EXPECT_EQ(cluster.leader(), target);
  EXPECT_TRUE(cluster.check_all().empty());
}

TEST(RaftFeatures, ReadIndexNeedsAQuorumToConfirmLeadership) {
  TestNode n(test_config(1, {1, 2, 3}));
  ASSERT_TRUE(win_election_in_term_1(n));
  EXPECT_TRUE(absl::IsUnavailable(n->read_index(7)));  // nothing committed in its term yet
  wire::Message ack = message(wire::MSG_APPEND_RESPONSE, 2, 1, 1);
  ack.set_index(1);
  ASSERT_TRUE(n->step(ack).ok());
  n.drain();
  ASSERT_TRUE(n->read_index(7).ok());
  const auto hb = of_type(n.drain(), wire::MSG_HEARTBEAT);
  ASSERT_EQ(hb.size(), 2u);
  EXPECT_FALSE(n->has_ready());  // no ReadState before a quorum answers
  wire::Message r = message(wire::MSG_HEARTBEAT_RESPONSE, 3, 1, 1);
  r.set_context(hb[0].context());
  ASSERT_TRUE(n->step(r).ok());
  Ready rd = n->ready();
  ASSERT_EQ(rd.read_states.size(), 1u);
  EXPECT_EQ(rd.read_states[0].request_id, 7u);
  EXPECT_EQ(rd.read_states[0].index, 1u);
  n->advance(rd);
}

TEST(RaftFeatures, ProposalsAreRefusedByFollowersWithALeaderHint) {
  TestNode n(test_config(1, {1, 2, 3}));
  ASSERT_TRUE(n->step(message(wire::MSG_HEARTBEAT, 2, 1, 1)).ok());
  const auto st = n->propose("x");
  EXPECT_TRUE(absl::IsUnavailable(st.status()));
  EXPECT_EQ(n->leader(), 2u);
}

// An entry too large for one append message could never reach a follower and would stall
// the log behind it: the leader refuses it and keeps taking others.
TEST(RaftFeatures, ProposalsOverMaxEntryBytesAreRefusedAsInvalid) {
  Config c = test_config(1, {1, 2});
  c.max_entry_bytes = 100;
  TestNode n(c);
  ASSERT_TRUE(win_election_in_term_1(n));
  const uint64_t last = n->log().last_index();
  const auto big = n->propose(std::string(101, 'x'));
  EXPECT_TRUE(absl::IsInvalidArgument(big.status())) << big.status();
  EXPECT_EQ(n->log().last_index(), last);
  const auto fits = n->propose(std::string(100, 'x'));
  ASSERT_TRUE(fits.ok()) << fits.status();
  EXPECT_EQ(*fits, last + 1);
}

TEST(RaftFeatures, InFlightWindowBoundsPipelinedAppends) {
  Config c = test_config(1, {1, 2});
  c.max_inflight_appends = 3;
  c.max_entries_per_append = 1;
  TestNode n(c);
  ASSERT_TRUE(win_election_in_term_1(n));
  wire::Message ack = message(wire::MSG_APPEND_RESPONSE, 2, 1, 1);
  ack.set_index(1);
  ASSERT_TRUE(n->step(ack).ok());  // probe -> replicate
  n.drain();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(n->propose("x").ok());
  const auto apps = of_type(n.drain(), wire::MSG_APPEND);
  EXPECT_EQ(apps.size(), 3u);
  EXPECT_EQ(n->progress(2)->inflights.count(), 3u);
}

TEST(RaftFeatures, CreateRejectsInconsistentPersistedState) {
  MemoryStorage disk;
  Ready rd;
  rd.entries = {entry(1, 1)};
  wire::HardState hs;
  hs.set_term(1);
  hs.set_commit(5);  // beyond the log
  rd.hard_state = hs;
  disk.persist(rd);
  EXPECT_TRUE(absl::IsDataLoss(Raft::create(test_config(1, {1}), disk).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(Raft::create(test_config(0, {1}), disk).status()));
}

// Node ids are cairn::NodeId (32 bits); raft.proto carries them as uint64. A wire value
// no node can have is refused where it enters, with the canonical code, and changes nothing.
TEST(RaftFeatures, NodeIdsBeyondNodeIdRangeAreRefusedAtTheWireEdge) {
  constexpr uint64_t kTooLarge = (uint64_t{1} << 32) + 2;  // would truncate to node 2
  TestNode n(test_config(1, {1, 2, 3}));
  const uint64_t term = n->term();
  wire::Message vote = message(wire::MSG_VOTE, 2, 1, term + 1);
  vote.set_from(kTooLarge);
  EXPECT_TRUE(absl::IsInvalidArgument(n->step(vote)));
  EXPECT_EQ(n->term(), term);  // nothing changed
  EXPECT_EQ(n->vote(), kNoNode);

  TestNode leader(test_config(1, {1}));
  leader->campaign();
  leader.drain();
  ASSERT_EQ(leader->role(), Role::kLeader);
  wire::ConfChange change;
  change.set_type(wire::CONF_ADD_VOTER);
  change.set_node(kTooLarge);
  const uint64_t last = leader->log().last_index();
  EXPECT_TRUE(absl::IsInvalidArgument(leader->propose_conf_change(change).status()));
  EXPECT_EQ(leader->log().last_index(), last);

  MemoryStorage disk;
  Ready rd;
  wire::HardState hs;
  hs.set_term(1);
  hs.set_vote(kTooLarge);
  rd.hard_state = hs;
  disk.persist(rd);
  EXPECT_TRUE(absl::IsDataLoss(Raft::create(test_config(1, {1, 2}), disk).status()));
}

}  // namespace
}  // namespace cairn::raft::testing
