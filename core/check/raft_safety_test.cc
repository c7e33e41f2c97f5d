#include "core/check/raft_safety.h"

#include <gtest/gtest.h>

namespace cairn::check {
namespace {

TEST(RaftSafety, CleanRunHasNoViolations) {
  RaftSafetyChecker c;
  c.on_leader(1, 1, 0, {});
  c.on_append(1, 1, 1, 0, 11);
  c.on_append(2, 1, 1, 0, 11);
  c.on_commit(1, 1, 1, 11, 1);
  c.on_apply(1, 1, 11);
  c.on_apply(2, 1, 11);
  c.on_leader(2, 2, 0, {{1, 1, 11}});
  EXPECT_TRUE(c.ok());
}

TEST(RaftSafety, TwoLeadersInOneTermBreakElectionSafety) {
  RaftSafetyChecker c;
  c.on_leader(1, 3, 0, {});
  c.on_leader(2, 3, 0, {});
  ASSERT_EQ(c.violations().size(), 1u);
  EXPECT_NE(c.violations()[0].find("election safety"), std::string::npos);
}

TEST(RaftSafety, DifferentEntriesAtOneIndexAndTermBreakLogMatching) {
  RaftSafetyChecker c;
  c.on_append(1, 5, 2, 2, 11);
  c.on_append(2, 5, 2, 2, 12);
  c.on_append(3, 5, 2, 1, 11);  // same entry, different predecessor
  ASSERT_EQ(c.violations().size(), 2u);
  EXPECT_NE(c.violations()[0].find("log matching"), std::string::npos);
}

TEST(RaftSafety, DifferentCommandsAppliedAtOneIndexBreakStateMachineSafety) {
  RaftSafetyChecker c;
  c.on_apply(1, 1, 11);
  c.on_apply(2, 1, 12);
  EXPECT_FALSE(c.ok());
}

TEST(RaftSafety, LeaderWithoutACommittedEntryBreaksLeaderCompleteness) {
  RaftSafetyChecker c;
  c.on_commit(1, 4, 1, 11, /*node_term=*/1);
  c.on_leader(2, 2, 0, {{4, 1, 99}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.violations()[0].find("leader completeness"), std::string::npos);
}

TEST(RaftSafety, AnOldTermEntryCommittedLaterNeedNotBeInEarlierLeaders) {
  // Figure 8: an entry of term 2 committed in term 4 is not required of term 3's leader.
  RaftSafetyChecker c;
  c.on_leader(4, 3, 0, {});
  c.on_commit(2, 3, 2, 11, /*node_term=*/4);
  EXPECT_TRUE(c.ok());
}

TEST(RaftSafety, CommitLearnedAfterAnElectionIsStillChecked) {
  RaftSafetyChecker c;
  c.on_leader(3, 5, 0, {});
  c.on_commit(1, 1, 2, 11, /*node_term=*/2);
  EXPECT_FALSE(c.ok());
}

TEST(RaftSafety, AppliesMustBeInOrderUntilARestart) {
  RaftSafetyChecker c;
  c.on_apply(1, 1, 11);
  c.on_apply(1, 3, 13);
  EXPECT_FALSE(c.ok());
  RaftSafetyChecker d;
  d.on_apply(1, 1, 11);
  d.on_restart(1);
  d.on_restore(1, 5);
  d.on_apply(1, 6, 16);
  EXPECT_TRUE(d.ok());
}

}  // namespace
}  // namespace cairn::check
