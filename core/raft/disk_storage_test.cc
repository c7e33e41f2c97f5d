#include "core/raft/disk_storage.h"

#include <gtest/gtest.h>

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
