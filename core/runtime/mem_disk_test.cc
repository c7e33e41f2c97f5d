#include "core/runtime/mem_disk.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace cairn {
namespace {

TEST(MemDisk, UnsyncedDataVanishesOnCrash) {
  MemDisk disk;
  Rng rng(1);
  ASSERT_TRUE(disk.write("a", "synced").ok());
  ASSERT_TRUE(disk.sync("a").ok());
  disk.sync_dir();
  ASSERT_TRUE(disk.append("a", "+lost").ok());
  EXPECT_EQ(*disk.read("a"), "synced+lost");
  disk.crash(rng, {});
  EXPECT_EQ(*disk.read("a"), "synced");
}

TEST(MemDisk, AppendSyncMakesTheWholeFileDurable) {
  MemDisk disk;
  Rng rng(1);
  ASSERT_TRUE(disk.write("log", "a").ok());
  disk.sync_dir();
  ASSERT_TRUE(disk.append("log", "b").ok());  // unsynced, covered by the next sync
  ASSERT_TRUE(disk.append_sync("log", "c").ok());
  ASSERT_TRUE(disk.append("log", "+lost").ok());
  MemDisk torn = disk;
  disk.crash(rng, {});
  EXPECT_EQ(*disk.read("log"), "abc");
  // A torn crash may keep part of what followed, never less than append_sync covered.
  torn.crash(rng, CrashDamage{.torn_write_probability = 1.0});
  const std::string kept = *torn.read("log");
  EXPECT_TRUE(kept.starts_with("abc+") && std::string("abc+lost").starts_with(kept)) << kept;
}

TEST(MemDisk, AppendSyncCreatesAFileWhoseNameStillNeedsSyncDir) {
  MemDisk disk;
  Rng rng(1);
  ASSERT_TRUE(disk.append_sync("new", "x").ok());
  EXPECT_EQ(*disk.read("new"), "x");
  disk.crash(rng, {});
  EXPECT_EQ(disk.read("new").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(disk.append_sync("new", "y").ok());
  disk.sync_dir();
  disk.crash(rng, {});
  EXPECT_EQ(*disk.read("new"), "y");
  EXPECT_EQ(disk.append_sync("../bad", "z").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(disk.list(""), std::vector<std::string>{"new"});
}

TEST(MemDisk, NameNeedsSyncDirToSurvive) {
  MemDisk disk;
  Rng rng(1);
  ASSERT_TRUE(disk.write("f", "x").ok());
  ASSERT_TRUE(disk.sync("f").ok());
  disk.crash(rng, {});
  EXPECT_EQ(disk.read("f").status().code(), absl::StatusCode::kNotFound);
}

TEST(MemDisk, RenameIsAtomicAndDurableAfterSyncDir) {
  MemDisk disk;
  Rng rng(1);
  ASSERT_TRUE(disk.write("v", "old").ok());
  ASSERT_TRUE(disk.sync("v").ok());
  disk.sync_dir();
  ASSERT_TRUE(disk.write("v.tmp", "new").ok());
  ASSERT_TRUE(disk.sync("v.tmp").ok());
  ASSERT_TRUE(disk.rename("v.tmp", "v").ok());
  EXPECT_EQ(*disk.read("v"), "new");
  MemDisk before_dir_sync = disk;
  before_dir_sync.crash(rng, {});
  EXPECT_EQ(*before_dir_sync.read("v"), "old");  // rename not durable yet
  disk.sync_dir();
  disk.crash(rng, {});
  EXPECT_EQ(*disk.read("v"), "new");
  EXPECT_EQ(disk.read("v.tmp").status().code(), absl::StatusCode::kNotFound);
}

TEST(MemDisk, ErrorsAreClear) {
  MemDisk disk;
  EXPECT_EQ(disk.read("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(disk.sync("nope").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(disk.rename("nope", "x").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(disk.write("../etc", "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(disk.write("", "x").code(), absl::StatusCode::kInvalidArgument);
}

TEST(MemDisk, ListsByPrefixSorted) {
  MemDisk disk;
  ASSERT_TRUE(disk.write("raft/b", "").ok());
  ASSERT_TRUE(disk.write("raft/a", "").ok());
  ASSERT_TRUE(disk.write("other", "").ok());
  EXPECT_EQ(disk.list("raft/"), (std::vector<std::string>{"raft/a", "raft/b"}));
}

TEST(MemDisk, AWriteThatDoesNotFitChangesNothing) {
  MemDisk disk;
  disk.set_capacity(10);
  ASSERT_TRUE(disk.write("a", "12345").ok());
  EXPECT_EQ(disk.write("a", "12345678901").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(*disk.read("a"), "12345");  // previous contents kept
  EXPECT_EQ(disk.append("a", "678901").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(*disk.read("a"), "12345");  // nothing appended
  EXPECT_EQ(disk.write("b", "123456").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(disk.read("b").status().code(), absl::StatusCode::kNotFound);  // not created
  ASSERT_TRUE(disk.append("a", "67890").ok());                             // exactly full
  EXPECT_EQ(disk.space().free_bytes, 0u);
  ASSERT_TRUE(disk.write("a", "1").ok());  // shrinking always fits
  EXPECT_EQ(disk.space().used_bytes, 1u);
  disk.check_invariants();
}

TEST(MemDisk, RemovedBytesCountUntilTheRemovalIsDurable) {
  MemDisk disk;
  Rng rng(1);
  ASSERT_TRUE(disk.write("a", "123").ok());
  ASSERT_TRUE(disk.sync("a").ok());
  disk.sync_dir();
  ASSERT_TRUE(disk.remove("a").ok());
  EXPECT_EQ(disk.space().used_bytes, 3u);  // a crash now would bring it back
  MemDisk crashed = disk;
  crashed.crash(rng, {});
  EXPECT_EQ(*crashed.read("a"), "123");
  EXPECT_EQ(crashed.space().used_bytes, 3u);
  disk.sync_dir();
  EXPECT_EQ(disk.space().used_bytes, 0u);
  disk.check_invariants();
}

TEST(MemDisk, RotFlipsOneSyncedBitPerFileAndSurvivesCrashes) {
  MemDisk disk;
  Rng rng(5);
  ASSERT_TRUE(disk.write("a", "aaaa").ok());
  ASSERT_TRUE(disk.write("b", "bbbb").ok());
  ASSERT_TRUE(disk.write("unsynced", "uuuu").ok());
  ASSERT_TRUE(disk.sync("a").ok());
  ASSERT_TRUE(disk.sync("b").ok());
  disk.sync_dir();
  const std::vector<RotReport> rotted = disk.rot(rng, 5);
  ASSERT_EQ(rotted.size(), 2u);  // only files with synced contents rot
  EXPECT_EQ(*disk.read("unsynced"), "uuuu");
  for (const RotReport& r : rotted) {
    std::string expect(4, r.name[0]);
    expect[r.offset] = static_cast<char>(expect[r.offset] ^ (1 << r.bit));
    EXPECT_EQ(*disk.read(r.name), expect) << r.name;
    MemDisk crashed = disk;
    crashed.crash(rng, {});
    EXPECT_EQ(*crashed.read(r.name), expect) << "at rest: " << r.name;
  }
  EXPECT_TRUE(MemDisk().rot(rng, 3).empty());
}

TEST(MemDisk, ListDirShowsOneLevel) {
  MemDisk disk;
  ASSERT_TRUE(disk.write("s/ab/1", "").ok());
  ASSERT_TRUE(disk.write("s/ab.txt", "").ok());
  ASSERT_TRUE(disk.write("s/ab/2", "").ok());
  ASSERT_TRUE(disk.write("t", "").ok());
  EXPECT_EQ(*disk.list_dir("s"), (std::vector<DirEntry>{{"ab", true}, {"ab.txt", false}}));
  EXPECT_EQ(*disk.list_dir(""), (std::vector<DirEntry>{{"s", true}, {"t", false}}));
  EXPECT_TRUE(disk.list_dir("nothing")->empty());
  EXPECT_EQ(disk.list_dir("s/").status().code(), absl::StatusCode::kInvalidArgument);
}

// A torn write keeps the synced prefix intact and adds at most what was appended.
RC_GTEST_PROP(MemDisk, TornWritesKeepSyncedPrefix,
              (uint64_t seed, std::string synced, std::string extra)) {
  MemDisk disk;
  Rng rng(seed);
  RC_ASSERT(disk.write("log", synced).ok());
  RC_ASSERT(disk.sync("log").ok());
  disk.sync_dir();
  RC_ASSERT(disk.append("log", extra).ok());
  disk.crash(rng, CrashDamage{.torn_write_probability = 0.7, .corrupt_probability = 0.5});
  auto after = disk.read("log");
  RC_ASSERT(after.ok());
  RC_ASSERT(after->size() >= synced.size());
  RC_ASSERT(after->size() <= synced.size() + extra.size());
  RC_ASSERT(after->compare(0, synced.size(), synced) == 0);
}

}  // namespace
}  // namespace cairn
