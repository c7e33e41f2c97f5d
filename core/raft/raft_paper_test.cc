// Unit tests named after sentences of the Raft paper (§5), in the style of etcd's
// raft_paper_test.go. Each drives one or a few Raft nodes by hand.
#include <gtest/gtest.h>

#include <set>

#include "core/raft/testing/raft_test_util.h"

namespace cairn::raft::testing {
namespace {

void tick_until_campaign(TestNode& n) {
  for (int i = 0; i < 2 * n.config.election_ticks && n->role() == Role::kFollower; ++i) {
    n->tick();
  }
}

// Elects node 1 among `peers` by feeding it every vote.
void elect(TestNode& n, const std::vector<NodeId>& peers) {
  n->campaign();
  n.drain();
  for (NodeId p : peers) {
    if (p == n->id() || n->role() == Role::kLeader) continue;
    wire::Message v = message(wire::MSG_VOTE_RESPONSE, p, n->id(), n->term());
    ASSERT_TRUE(n->step(v).ok());
  }
  ASSERT_EQ(n->role(), Role::kLeader);
  n.drain();
}

TEST(RaftPaper, ServersStartAsFollowers) {
  TestNode n(test_config(1, {1, 2, 3}));
  EXPECT_EQ(n->role(), Role::kFollower);
  EXPECT_EQ(n->term(), 0u);
}

TEST(RaftPaper, ServerUpdatesItsTermWhenItSeesALargerOne) {
  for (auto type : {wire::MSG_APPEND, wire::MSG_HEARTBEAT, wire::MSG_VOTE}) {
    TestNode n(test_config(1, {1, 2, 3}));
    elect(n, {1, 2, 3});
    ASSERT_TRUE(n->step(message(type, 2, 1, 5)).ok());
    EXPECT_EQ(n->term(), 5u);
    EXPECT_EQ(n->role(), Role::kFollower);
  }
}

TEST(RaftPaper, ServerRejectsARequestWithAStaleTerm) {
  TestNode n(test_config(1, {1, 2, 3}), /*term=*/3);
  wire::Message app = message(wire::MSG_APPEND, 2, 1, 2);
  *app.add_entries() = entry(1, 2);
  ASSERT_TRUE(n->step(app).ok());
  EXPECT_EQ(n->log().last_index(), 0u);
  EXPECT_EQ(n->term(), 3u);
}

TEST(RaftPaper, LeaderSendsHeartbeatsEveryHeartbeatInterval) {
  TestNode n(test_config(1, {1, 2, 3}));
  elect(n, {1, 2, 3});
  n->tick();
  const auto hb = of_type(n.drain(), wire::MSG_HEARTBEAT);
  ASSERT_EQ(hb.size(), 2u);
  EXPECT_EQ(hb[0].to(), 2u);
  EXPECT_EQ(hb[1].to(), 3u);
}

TEST(RaftPaper, FollowerWithoutCommunicationStartsAnElection) {
  TestNode n(test_config(1, {1, 2, 3}), /*term=*/1);
  tick_until_campaign(n);
  EXPECT_EQ(n->role(), Role::kCandidate);
  EXPECT_EQ(n->term(), 2u);  // increments its current term
  EXPECT_EQ(n->vote(), 1u);  // votes for itself
  const auto votes = of_type(n.drain(), wire::MSG_VOTE);
  EXPECT_EQ(votes.size(), 2u);  // issues RequestVote RPCs to each of the other servers
}

TEST(RaftPaper, CandidateWinsWithVotesFromAMajority) {
  TestNode n(test_config(1, {1, 2, 3, 4, 5}));
  n->campaign();
  n.drain();
  ASSERT_TRUE(n->step(message(wire::MSG_VOTE_RESPONSE, 2, 1, 1)).ok());
  EXPECT_EQ(n->role(), Role::kCandidate);
  ASSERT_TRUE(n->step(message(wire::MSG_VOTE_RESPONSE, 3, 1, 1)).ok());
  EXPECT_EQ(n->role(), Role::kLeader);
}

TEST(RaftPaper, CandidateLosesWhenAMajorityRejects) {
  TestNode n(test_config(1, {1, 2, 3}));
  n->campaign();
  n.drain();
  wire::Message no = message(wire::MSG_VOTE_RESPONSE, 2, 1, 1);
  no.set_reject(true);
  ASSERT_TRUE(n->step(no).ok());
  no.set_from(3);
  ASSERT_TRUE(n->step(no).ok());
  EXPECT_EQ(n->role(), Role::kFollower);
}

TEST(RaftPaper, EachServerVotesForAtMostOneCandidateInATerm) {
  TestNode n(test_config(1, {1, 2, 3}));
  wire::Message v = message(wire::MSG_VOTE, 2, 1, 1);
  ASSERT_TRUE(n->step(v).ok());
  v.set_from(3);
  ASSERT_TRUE(n->step(v).ok());
  const auto resp = of_type(n.drain(), wire::MSG_VOTE_RESPONSE);
  ASSERT_EQ(resp.size(), 2u);
  EXPECT_FALSE(resp[0].reject());
  EXPECT_TRUE(resp[1].reject());
  EXPECT_EQ(n->vote(), 2u);
  EXPECT_EQ(n.disk.state().hard_state.vote(), 2u);  // the vote is persisted before answering
}

TEST(RaftPaper, CandidateReturnsToFollowerOnAppendFromLeaderOfItsTerm) {
  TestNode n(test_config(1, {1, 2, 3}));
  n->campaign();
  n.drain();
  ASSERT_TRUE(n->step(message(wire::MSG_HEARTBEAT, 2, 1, 1)).ok());
  EXPECT_EQ(n->role(), Role::kFollower);
  EXPECT_EQ(n->leader(), 2u);
}

TEST(RaftPaper, ElectionTimeoutsAreChosenRandomlyFromAFixedInterval) {
  std::set<int> seen;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    Config c = test_config(1, {1, 2, 3});
    c.random_seed = seed;
    TestNode n(c);
    int ticks = 0;
    while (n->role() == Role::kFollower) {
      n->tick();
      ++ticks;
    }
    EXPECT_GE(ticks, c.election_ticks);
    EXPECT_LT(ticks, 2 * c.election_ticks);
    seen.insert(ticks);
  }
  EXPECT_GT(seen.size(), 5u);  // spread out, so split votes are rare
}

TEST(RaftPaper, LeaderAppendsANoOpEntryOfItsTermOnElection) {
  TestNode n(test_config(1, {1, 2, 3}), 1, {entry(1, 1)});
  elect(n, {1, 2, 3});
  EXPECT_EQ(n->log().last_index(), 2u);
  EXPECT_EQ(n->log().at(2).term(), n->term());
  EXPECT_TRUE(n->log().at(2).data().empty());
}

TEST(RaftPaper, LeaderCommitsAnEntryOnceItIsReplicatedOnAMajority) {
  TestNode n(test_config(1, {1, 2, 3, 4, 5}));
  elect(n, {1, 2, 3, 4, 5});
  auto index = n->propose("cmd");
  ASSERT_TRUE(index.ok());
  n.drain();
  wire::Message ack = message(wire::MSG_APPEND_RESPONSE, 2, 1, n->term());
  ack.set_index(*index);
  ASSERT_TRUE(n->step(ack).ok());
  EXPECT_LT(n->log().commit(), *index);  // 2 of 5: not yet
  ack.set_from(3);
  ASSERT_TRUE(n->step(ack).ok());
  EXPECT_EQ(n->log().commit(), *index);  // 3 of 5: committed
  n.drain();
  ASSERT_FALSE(n.applied.empty());
  EXPECT_EQ(n.applied.back().data(), "cmd");  // and applied, in log order
}

TEST(RaftPaper, LeaderNeverCommitsEntriesFromPreviousTermsByCountingReplicas) {
  // Figure 8: an entry of term 1 on a majority is not committed by a leader of term 3
  // until an entry of term 3 is committed too.
  TestNode n(test_config(1, {1, 2, 3}), 2, {entry(1, 1)});
  elect(n, {1, 2, 3});
  ASSERT_EQ(n->term(), 3u);
  wire::Message ack = message(wire::MSG_APPEND_RESPONSE, 2, 1, 3);
  ack.set_index(1);
  ASSERT_TRUE(n->step(ack).ok());
  EXPECT_EQ(n->log().commit(), 0u);
  ack.set_index(2);  // the no-op of term 3
  ASSERT_TRUE(n->step(ack).ok());
  EXPECT_EQ(n->log().commit(), 2u);
}

TEST(RaftPaper, FollowerRejectsAppendIfItsLogLacksThePrecedingEntry) {
  TestNode n(test_config(1, {1, 2, 3}), 2, {entry(1, 1), entry(2, 2)});
  wire::Message app = message(wire::MSG_APPEND, 2, 1, 3);
  app.set_index(2);
  app.set_log_term(3);  // our entry 2 has term 2
  *app.add_entries() = entry(3, 3);
  ASSERT_TRUE(n->step(app).ok());
  const auto resp = of_type(n.drain(), wire::MSG_APPEND_RESPONSE);
  ASSERT_EQ(resp.size(), 1u);
  EXPECT_TRUE(resp[0].reject());
  EXPECT_EQ(n->log().last_index(), 2u);
}

TEST(RaftPaper, FollowerDeletesAConflictingEntryAndAllThatFollowIt) {
  TestNode n(test_config(1, {1, 2, 3}), 2, {entry(1, 1), entry(2, 2), entry(3, 2)});
  wire::Message app = message(wire::MSG_APPEND, 2, 1, 3);
  app.set_index(1);
  app.set_log_term(1);
  *app.add_entries() = entry(2, 3, "new");
  ASSERT_TRUE(n->step(app).ok());
  n.drain();
  EXPECT_EQ(n->log().last_index(), 2u);
  EXPECT_EQ(n->log().at(2).data(), "new");
  ASSERT_EQ(n.disk.state().entries.size(), 2u);  // and on disk
  EXPECT_EQ(n.disk.state().entries[1].term(), 3u);
}

TEST(RaftPaper, VoterDeniesItsVoteIfItsOwnLogIsMoreUpToDate) {
  TestNode n(test_config(1, {1, 2, 3}), 2, {entry(1, 1), entry(2, 2)});
  struct Case {
    uint64_t index, log_term;
    bool granted;
  } cases[] = {{2, 1, false}, {1, 2, false}, {2, 2, true}, {3, 2, true}, {1, 3, true}};
  uint64_t term = 3;
  for (const Case& c : cases) {
    wire::Message v = message(wire::MSG_VOTE, 2, 1, term++);
    v.set_index(c.index);
    v.set_log_term(c.log_term);
    ASSERT_TRUE(n->step(v).ok());
    const auto resp = of_type(n.drain(), wire::MSG_VOTE_RESPONSE);
    ASSERT_EQ(resp.size(), 1u);
    EXPECT_EQ(!resp[0].reject(), c.granted) << c.index << "/" << c.log_term;
  }
}

TEST(RaftPaper, MessagesAreSentOnlyAfterTheStateTheyDependOnIsPersisted) {
  TestNode n(test_config(1, {1, 2, 3}));
  ASSERT_TRUE(n->step(message(wire::MSG_VOTE, 2, 1, 1)).ok());
  Ready rd = n->ready();
  ASSERT_TRUE(rd.hard_state.has_value());  // the vote travels in the same batch...
  EXPECT_EQ(rd.hard_state->vote(), 2u);
  EXPECT_EQ(rd.messages.size(), 1u);  // ...as the answer that the driver sends after it
  n->advance(rd);
}

}  // namespace
}  // namespace cairn::raft::testing
