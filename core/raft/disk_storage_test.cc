#include "core/raft/disk_storage.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "core/runtime/manual_runtime.h"

namespace cairn::raft {
namespace {

wire::Entry entry(uint64_t index, uint64_t term, std::string data = "x") {
  wire::Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_data(std::move(data));
  return e;
}

class DiskStorageTest : public ::testing::Test {
 protected:
  DiskStorageTest() : rt_(cluster_.add_node(1)) {}

  absl::Status recover(DiskStorage& s) {
    absl::Status out = absl::InternalError("not done");
    s.recover([&](absl::Status st) { out = st; });
    cluster_.advance(Duration(0));
    return out;
  }
  absl::Status persist(DiskStorage& s, const Ready& rd) {
    absl::Status out = absl::InternalError("not done");
    s.persist(rd, [&](absl::Status st) { out = st; });
    cluster_.advance(Duration(0));
    return out;
  }
  Ready entries(std::vector<wire::Entry> es, uint64_t term = 0, uint64_t vote = 0) {
    Ready rd;
    rd.entries = std::move(es);
    if (term > 0) {
      wire::HardState hs;
      hs.set_term(term);
      hs.set_vote(vote);
      rd.hard_state = hs;
    }
    return rd;
  }

  ManualCluster cluster_{1};
  ManualRuntime& rt_;
};

TEST(DiskStorageFraming, RoundTripsAndStopsAtTheFirstBadRecord) {
  std::string bytes = DiskStorage::frame("one") + DiskStorage::frame("two");
  const size_t two_end = bytes.size();
  bytes += DiskStorage::frame("three");
  uint64_t good = 0;
  EXPECT_EQ(DiskStorage::unframe(bytes, &good), (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(good, bytes.size());
  bytes[bytes.size() - 1] ^= 1;  // corrupt "three"
  EXPECT_EQ(DiskStorage::unframe(bytes, &good), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(good, two_end);
  EXPECT_TRUE(DiskStorage::unframe(std::string("\xff\xff\xff\x7f\0\0\0\0", 8), &good).empty());
  EXPECT_EQ(good, 0u);
}

TEST_F(DiskStorageTest, FirstStartIsEmpty) {
  DiskStorage s(rt_.disk(), "raft");
  ASSERT_TRUE(recover(s).ok());
  auto state = s.load();
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(state->entries.empty());
  EXPECT_EQ(state->hard_state.term(), 0u);
}

TEST_F(DiskStorageTest, PersistedStateSurvivesACrashAndLaterRecordsReplaceEarlierOnes) {
  {
    DiskStorage s(rt_.disk(), "raft");
    ASSERT_TRUE(recover(s).ok());
    ASSERT_TRUE(persist(s, entries({entry(1, 1), entry(2, 1), entry(3, 1)}, 1, 1)).ok());
    // A new leader overwrote index 3 onwards.
    ASSERT_TRUE(persist(s, entries({entry(3, 2, "y"), entry(4, 2)}, 2, 3)).ok());
  }
  rt_.mem_disk().crash(rt_.rng(), CrashDamage{});
  DiskStorage again(rt_.disk(), "raft");
  ASSERT_TRUE(recover(again).ok());
  const PersistentState& st = again.state();
  ASSERT_EQ(st.entries.size(), 4u);
  EXPECT_EQ(st.entries[2].term(), 2u);
  EXPECT_EQ(st.entries[2].data(), "y");
  EXPECT_EQ(st.hard_state.term(), 2u);
  EXPECT_EQ(st.hard_state.vote(), 3u);
  EXPECT_FALSE(again.report().rewrote_log);
}

TEST_F(DiskStorageTest, UnsyncedAppendsAreLostAtACrash) {
  DiskStorage s(rt_.disk(), "raft");
  ASSERT_TRUE(recover(s).ok());
  ASSERT_TRUE(persist(s, entries({entry(1, 1)}, 1, 0)).ok());
  // A write whose sync never completed: the crash takes it (or tears it).
  s.persist(entries({entry(2, 1), entry(3, 1)}), [](absl::Status) {});
  CrashDamage torn{.torn_write_probability = 1, .corrupt_probability = 1};
  rt_.mem_disk().crash(rt_.rng(), torn);
  DiskStorage again(rt_.disk(), "raft");
  ASSERT_TRUE(recover(again).ok());
  // Appends land before the sync is asked for, so a torn prefix may hold entry 2 intact,
  // but never a damaged record.
  ASSERT_GE(again.state().entries.size(), 1u);
  ASSERT_LE(again.state().entries.size(), 3u);
  for (size_t i = 0; i < again.state().entries.size(); ++i) {
    EXPECT_EQ(again.state().entries[i].index(), i + 1);
    EXPECT_EQ(again.state().entries[i].data(), "x");
  }
}

TEST_F(DiskStorageTest, SnapshotDropsCoveredEntriesAndKeepsTheRest) {
  DiskStorage s(rt_.disk(), "raft");
  ASSERT_TRUE(recover(s).ok());
  ASSERT_TRUE(persist(s, entries({entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)}, 1)).ok());
  Ready rd;
  wire::Snapshot snap;
  snap.mutable_metadata()->set_index(2);
  snap.mutable_metadata()->set_term(1);
  snap.set_data("state@2");
  rd.snapshot = snap;
  ASSERT_TRUE(persist(s, rd).ok());
  rt_.mem_disk().crash(rt_.rng(), CrashDamage{});
  DiskStorage again(rt_.disk(), "raft");
  ASSERT_TRUE(recover(again).ok());
  EXPECT_EQ(again.state().snapshot.data(), "state@2");
  ASSERT_EQ(again.state().entries.size(), 2u);
  EXPECT_EQ(again.state().entries.front().index(), 3u);
  EXPECT_EQ(again.report().snapshot_index, 2u);
}

wire::Snapshot snapshot_at(uint64_t index, uint64_t term, std::string data) {
  wire::Snapshot snap;
  snap.mutable_metadata()->set_index(index);
  snap.mutable_metadata()->set_term(term);
  snap.set_data(std::move(data));
  return snap;
}

Ready with_snapshot(wire::Snapshot snap, bool from_leader) {
  Ready rd;
  rd.snapshot = std::move(snap);
  rd.restore_state_machine = from_leader;
  return rd;
}

uint64_t log_records(ManualRuntime& rt, const DiskStorage& s) {
  absl::StatusOr<std::string> bytes = rt.mem_disk().read(s.log_file());
  if (!bytes.ok()) return 0;
  uint64_t good = 0;
  return DiskStorage::unframe(*bytes, &good).size();
}

TEST_F(DiskStorageTest, ALocalSnapshotIsWrittenBesideThePipelineThenTheLogShrinks) {
  DiskStorage s(rt_.disk(), "raft");
  ASSERT_TRUE(recover(s).ok());
  ASSERT_TRUE(persist(s, entries({entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)}, 1)).ok());
  absl::Status out = absl::InternalError("not done");
  s.persist(with_snapshot(snapshot_at(2, 1, "state@2"), false), [&](absl::Status st) { out = st; });
  // Done at once: the snapshot is still being written, and the log holds what it covers.
  EXPECT_TRUE(out.ok()) << out;
  EXPECT_TRUE(s.writing_snapshot());
  cluster_.advance(Duration(0));
  EXPECT_FALSE(s.writing_snapshot());
  EXPECT_EQ(log_records(rt_, s), 4u);  // not rewritten yet
  ASSERT_TRUE(persist(s, entries({entry(5, 1)})).ok());
  EXPECT_EQ(log_records(rt_, s), 3u);  // 3, 4 and 5: the next Ready rewrote it first
  rt_.mem_disk().crash(rt_.rng(), CrashDamage{});
  DiskStorage again(rt_.disk(), "raft");
  ASSERT_TRUE(recover(again).ok());
  EXPECT_EQ(again.state().snapshot.data(), "state@2");
  ASSERT_EQ(again.state().entries.size(), 3u);
  EXPECT_EQ(again.state().entries.front().index(), 3u);
  EXPECT_FALSE(again.report().rewrote_log);
}

TEST_F(DiskStorageTest, ACrashBeforeALocalSnapshotIsDurableLosesNothing) {
  DiskStorage s(rt_.disk(), "raft");
  ASSERT_TRUE(recover(s).ok());
  ASSERT_TRUE(persist(s, entries({entry(1, 1), entry(2, 1), entry(3, 1)}, 1)).ok());
  s.persist(with_snapshot(snapshot_at(2, 1, "state@2"), false), [](absl::Status) {});
  rt_.mem_disk().crash(rt_.rng(), CrashDamage{});  // before the write ran
  DiskStorage again(rt_.disk(), "raft");
  ASSERT_TRUE(recover(again).ok());
  EXPECT_EQ(again.state().snapshot.metadata().index(), 0u);
  ASSERT_EQ(again.state().entries.size(), 3u);
  EXPECT_EQ(again.state().entries.front().index(), 1u);
}

TEST_F(DiskStorageTest, LocalSnapshotsQueueBehindTheOneBeingWrittenAndTheNewestWins) {
  DiskStorage s(rt_.disk(), "raft");
  ASSERT_TRUE(recover(s).ok());
  ASSERT_TRUE(persist(s, entries({entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)}, 1)).ok());
  for (uint64_t i : {2, 3, 4}) {
    absl::Status out = absl::InternalError("not done");
    s.persist(with_snapshot(snapshot_at(i, 1, absl::StrCat("state@", i)), false),
              [&](absl::Status st) { out = st; });
    EXPECT_TRUE(out.ok()) << out;
  }
  cluster_.advance(Duration(0));
  EXPECT_FALSE(s.writing_snapshot());
  EXPECT_EQ(s.state().snapshot.data(), "state@4");
  EXPECT_TRUE(s.state().entries.empty());
}

TEST_F(DiskStorageTest, ASnapshotFromTheLeaderWaitsForALocalOneAndSupersedesIt) {
  DiskStorage s(rt_.disk(), "raft");
  ASSERT_TRUE(recover(s).ok());
  ASSERT_TRUE(persist(s, entries({entry(1, 1), entry(2, 1), entry(3, 1)}, 1)).ok());
  s.persist(with_snapshot(snapshot_at(2, 1, "state@2"), false), [](absl::Status) {});
  absl::Status out = absl::InternalError("not done");
  s.persist(with_snapshot(snapshot_at(9, 2, "leader@9"), true), [&](absl::Status st) { out = st; });
  EXPECT_FALSE(out.ok());  // a follower acknowledges it only once durable
  cluster_.advance(Duration(0));
  ASSERT_TRUE(out.ok()) << out;
  rt_.mem_disk().crash(rt_.rng(), CrashDamage{});
  DiskStorage again(rt_.disk(), "raft");
  ASSERT_TRUE(recover(again).ok());
  EXPECT_EQ(again.state().snapshot.data(), "leader@9");
  EXPECT_TRUE(again.state().entries.empty());
}

TEST_F(DiskStorageTest, AFailedLocalSnapshotWriteFailsTheNextPersistAndLosesNothing) {
  DiskStorage s(rt_.disk(), "raft");
  ASSERT_TRUE(recover(s).ok());
  ASSERT_TRUE(persist(s, entries({entry(1, 1), entry(2, 1)}, 1)).ok());
  rt_.mem_disk().set_capacity(rt_.mem_disk().bytes_stored() + 8);  // no room for a snapshot
  ASSERT_TRUE(persist(s, with_snapshot(snapshot_at(1, 1, "state@1"), false)).ok());
  EXPECT_TRUE(absl::IsResourceExhausted(persist(s, entries({entry(3, 1)}))));
  rt_.mem_disk().set_capacity(MemDisk::kUnlimited);
  rt_.mem_disk().crash(rt_.rng(), CrashDamage{});
  DiskStorage again(rt_.disk(), "raft");
  ASSERT_TRUE(recover(again).ok());
  EXPECT_EQ(again.state().snapshot.metadata().index(), 0u);
  EXPECT_EQ(again.state().entries.size(), 2u);
}

TEST_F(DiskStorageTest, CommitBeyondTheLogIsDataLoss) {
  wire::HardState hs;
  hs.set_term(3);
  hs.set_commit(10);
  ASSERT_TRUE(
      rt_.mem_disk().write("raft/hard_state", DiskStorage::frame(hs.SerializeAsString())).ok());
  DiskStorage s(rt_.disk(), "raft");
  EXPECT_TRUE(absl::IsDataLoss(recover(s)));
}

}  // namespace
}  // namespace cairn::raft
