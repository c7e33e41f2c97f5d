#include "core/raft/raft_log.h"

#include <gtest/gtest.h>

#include "core/raft/storage.h"
#include "core/raft/testing/raft_test_util.h"

namespace cairn::raft {
namespace {

using testing::entry;

TEST(RaftLog, AppendTruncatesAConflictingSuffix) {
  RaftLog log(0, 0, {entry(1, 1), entry(2, 1), entry(3, 1)}, 1);
  log.append({entry(2, 2)});
  EXPECT_EQ(log.last_index(), 2u);
  EXPECT_EQ(log.last_term(), 2u);
  EXPECT_EQ(log.stable_index(), 1u);  // entry 2 must be written again
}

TEST(RaftLog, MaybeAppendIgnoresEntriesItAlreadyHas) {
  RaftLog log(0, 0, {entry(1, 1), entry(2, 1), entry(3, 1)}, 0);
  bool refused = false;
  // A reordered, older append must not truncate entry 3.
  auto last = log.maybe_append(0, 0, 2, {entry(1, 1)}, false, &refused);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(*last, 1u);
  EXPECT_EQ(log.last_index(), 3u);
  EXPECT_EQ(log.commit(), 1u);
}

TEST(RaftLog, FindConflictByTermSkipsWholeTerms) {
  RaftLog log(0, 0, {entry(1, 1), entry(2, 2), entry(3, 2), entry(4, 3)}, 0);
  EXPECT_EQ(log.find_conflict_by_term(4, 2), 3u);
  EXPECT_EQ(log.find_conflict_by_term(9, 1), 1u);
}

TEST(RaftLog, CompactKeepsTheTermOfTheLastCompactedEntry) {
  RaftLog log(0, 0, {entry(1, 1), entry(2, 2), entry(3, 2)}, 3);
  log.applied_to(2);
  log.compact(2);
  EXPECT_EQ(log.first_index(), 3u);
  EXPECT_EQ(log.term(2), 2u);
  EXPECT_FALSE(log.term(1).has_value());
  log.check_invariants(2);
}

TEST(MemoryStorage, PersistKeepsEntriesAfterALocalSnapshotAndDropsThemForAForeignOne) {
  MemoryStorage disk;
  Ready rd;
  rd.entries = {entry(1, 1), entry(2, 1), entry(3, 1)};
  disk.persist(rd);
  wire::Snapshot local;
  local.mutable_metadata()->set_index(2);
  local.mutable_metadata()->set_term(1);
  Ready with_local;
  with_local.snapshot = local;
  disk.persist(with_local);
  ASSERT_EQ(disk.state().entries.size(), 1u);
  EXPECT_EQ(disk.state().entries[0].index(), 3u);
  wire::Snapshot foreign;
  foreign.mutable_metadata()->set_index(3);
  foreign.mutable_metadata()->set_term(5);
  Ready with_foreign;
  with_foreign.snapshot = foreign;
  disk.persist(with_foreign);
  EXPECT_TRUE(disk.state().entries.empty());
}

}  // namespace
}  // namespace cairn::raft
