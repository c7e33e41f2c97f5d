// The namespace's commands and reads, rule by rule, through NamespaceStateMachine.
#include <gtest/gtest.h>

#include <algorithm>

#include "absl/strings/str_format.h"
#include "core/meta/namespace_state_machine.h"
#include "core/meta/namespace_test_util.h"

namespace cairn::meta {
namespace {

using absl::StatusCode;
using testing::chunk_digest;
using testing::chunk_layout;
using testing::code;
using testing::manifest;

using CommandsTest = testing::NamespaceTest;
using testing::message;

// --- mkdir, rmdir ---------------------------------------------------------------------------

TEST_F(CommandsTest, MkdirNeedsItsParentUnlessAskedToMakeIt) {
  wire::NsResult r = ns_.mkdir("/a/b");
  EXPECT_EQ(code(r), StatusCode::kNotFound);
  EXPECT_NE(message(r).find("\"/a\" does not exist"), std::string::npos) << message(r);
  ns_.now_ms = 5000;
  r = ns_.mkdir("/a/b/c", true);
  ASSERT_EQ(code(r), StatusCode::kOk) << message(r);
  EXPECT_EQ(r.entry().name(), "c");
  EXPECT_EQ(r.entry().kind(), wire::KIND_DIRECTORY);
  EXPECT_EQ(r.entry().mtime_ms(), 5000);
  EXPECT_EQ(ns_.stat("/a/b").entry().children(), 1u);
  EXPECT_EQ(ns_.stat("/").entry().mtime_ms(), 5000);            // the root gained "a"
  EXPECT_EQ(code(ns_.mkdir("/a/b/c", true)), StatusCode::kOk);  // exists: no error
  r = ns_.mkdir("/a/b/c");
  EXPECT_EQ(code(r), StatusCode::kAlreadyExists);
  EXPECT_NE(message(r).find("/a/b/c"), std::string::npos);
  EXPECT_EQ(code(ns_.mkdir("/a/d/")), StatusCode::kOk);  // trailing '/'
  EXPECT_EQ(ns_.list("/a").entries_size(), 2);
}

TEST_F(CommandsTest, MkdirThroughAFileFailsAndMakesNothing) {
  ASSERT_EQ(code(ns_.put("/f")), StatusCode::kOk);
  wire::NsResult r = ns_.mkdir("/f/x/y", true);
  EXPECT_EQ(code(r), StatusCode::kFailedPrecondition);
  EXPECT_NE(message(r).find("\"/f\" is a file"), std::string::npos) << message(r);
  EXPECT_EQ(code(ns_.mkdir("/f/x")), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(ns_.mkdir("/f")), StatusCode::kAlreadyExists);
  EXPECT_EQ(code(ns_.mkdir("/f", true)), StatusCode::kAlreadyExists);
  EXPECT_EQ(ns_.list("/").entries_size(), 1);
  EXPECT_EQ(ns_.stat("/f").entry().kind(), wire::KIND_FILE);
}

TEST_F(CommandsTest, RmdirRefusesFilesAndDirectoriesThatAreNotEmpty) {
  ASSERT_EQ(code(ns_.mkdir("/a/b", true)), StatusCode::kOk);
  ASSERT_EQ(code(ns_.put("/f")), StatusCode::kOk);
  wire::NsResult r = ns_.rmdir("/a");
  EXPECT_EQ(code(r), StatusCode::kFailedPrecondition);
  EXPECT_NE(message(r).find("not empty"), std::string::npos);
  r = ns_.rmdir("/f");
  EXPECT_EQ(code(r), StatusCode::kFailedPrecondition);
  EXPECT_NE(message(r).find("\"/f\" is a file"), std::string::npos);
  EXPECT_EQ(code(ns_.rmdir("/nope")), StatusCode::kNotFound);
  EXPECT_EQ(code(ns_.rmdir("/nope/deeper")), StatusCode::kNotFound);
  ns_.now_ms = 7000;
  EXPECT_EQ(code(ns_.rmdir("/a/b")), StatusCode::kOk);
  EXPECT_EQ(ns_.stat("/a").entry().mtime_ms(), 7000);
  EXPECT_EQ(code(ns_.rmdir("/a")), StatusCode::kOk);
  EXPECT_EQ(code(ns_.stat("/a")), StatusCode::kNotFound);
  EXPECT_TRUE(r.has_status());
  EXPECT_FALSE(ns_.rmdir("/f").has_entry());
}

// --- put_file -------------------------------------------------------------------------------

TEST_F(CommandsTest, PutWritesAVersionAtTheEntrysIndex) {
  ns_.now_ms = 1234;
  wire::NsResult r = ns_.put("/f", {0, 1});
  ASSERT_EQ(code(r), StatusCode::kOk) << message(r);
  EXPECT_EQ(r.entry().name(), "f");
  EXPECT_EQ(r.entry().kind(), wire::KIND_FILE);
  EXPECT_EQ(r.entry().version(), ns_.sm.applied_index());
  EXPECT_EQ(r.entry().size_bytes(), 1u + 2u);
  EXPECT_EQ(r.entry().mtime_ms(), 1234);
  const wire::NsResult got = ns_.get("/f");
  ASSERT_EQ(code(got), StatusCode::kOk);
  EXPECT_EQ(got.manifest().version(), r.entry().version());
  EXPECT_EQ(got.manifest().mtime_ms(), 1234);
  ASSERT_EQ(got.manifest().chunks_size(), 2);
  EXPECT_EQ(*storage::digest_from(got.manifest().chunks(1).chunk()), chunk_digest(1));
  EXPECT_EQ(ns_.stat("/f").entry().version(), r.entry().version());
}

TEST_F(CommandsTest, PutNeedsADirectoryParentAndNoDirectoryAtThePath) {
  EXPECT_EQ(code(ns_.put("/d/f")), StatusCode::kNotFound);
  ASSERT_EQ(code(ns_.put("/f")), StatusCode::kOk);
  wire::NsResult r = ns_.put("/f/g");
  EXPECT_EQ(code(r), StatusCode::kFailedPrecondition);
  EXPECT_NE(message(r).find("\"/f\" is a file"), std::string::npos);
  ASSERT_EQ(code(ns_.mkdir("/d")), StatusCode::kOk);
  r = ns_.put("/d");
  EXPECT_EQ(code(r), StatusCode::kFailedPrecondition);
  EXPECT_NE(message(r).find("\"/d\" is a directory"), std::string::npos);
}

TEST_F(CommandsTest, PutConditions) {
  const uint64_t v1 = ns_.put("/f", {0}, wire::IF_ABSENT).entry().version();
  ASSERT_GT(v1, 0u);
  wire::NsResult r = ns_.put("/f", {1}, wire::IF_ABSENT);
  EXPECT_EQ(code(r), StatusCode::kAlreadyExists);
  EXPECT_NE(message(r).find("/f"), std::string::npos);
  r = ns_.put("/f", {1}, wire::IF_VERSION, v1 + 100);
  EXPECT_EQ(code(r), StatusCode::kFailedPrecondition);
  EXPECT_NE(message(r).find(absl::StrFormat("is at version %d", v1)), std::string::npos)
      << message(r);
  EXPECT_EQ(code(ns_.put("/g", {1}, wire::IF_VERSION, v1)), StatusCode::kNotFound);
  r = ns_.put("/f", {1}, wire::IF_VERSION, v1);
  ASSERT_EQ(code(r), StatusCode::kOk);
  EXPECT_GT(r.entry().version(), v1);
  EXPECT_EQ(code(ns_.put("/f", {2}, wire::ANY)), StatusCode::kOk);
  EXPECT_EQ(code(ns_.put("/f", {2}, static_cast<wire::Condition>(7))),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ns_.versions("/f").versions_size(), 3);
}

TEST_F(CommandsTest, PutChecksTheManifest) {
  wire::Manifest m = manifest({0, 1});
  m.set_size_bytes(m.size_bytes() + 1);
  wire::NsResult r = ns_.put_manifest("/f", m);
  EXPECT_EQ(code(r), StatusCode::kInvalidArgument);
  EXPECT_NE(message(r).find("sum to 3 bytes"), std::string::npos) << message(r);
  m = manifest({0, 1});
  m.mutable_chunks(1)->mutable_shards(0)->set_node(0);  // a shard on no node
  r = ns_.put_manifest("/f", m);
  EXPECT_EQ(code(r), StatusCode::kInvalidArgument);
  EXPECT_NE(message(r).find("chunk 1"), std::string::npos) << message(r);
  m = manifest({0});
  m.mutable_chunks(0)->mutable_chunk()->set_sha256("short");
  EXPECT_EQ(code(ns_.put_manifest("/f", m)), StatusCode::kInvalidArgument);
  // Nothing was written.
  EXPECT_EQ(code(ns_.stat("/f")), StatusCode::kNotFound);
  EXPECT_EQ(ns_.sm.chunk_count(), 0u);
  // An empty file is a manifest without chunks.
  r = ns_.put_manifest("/empty", wire::Manifest());
  ASSERT_EQ(code(r), StatusCode::kOk);
  EXPECT_EQ(r.entry().size_bytes(), 0u);
}

TEST_F(CommandsTest, InlineFilesCarryTheirBytesAndNothingElse) {
  wire::Manifest m;
  m.set_inline_data("small file");
  m.set_size_bytes(10);
  wire::NsResult r = ns_.put_manifest("/small", m);
  ASSERT_EQ(code(r), StatusCode::kOk) << message(r);
  EXPECT_EQ(r.entry().size_bytes(), 10u);
  const wire::NsResult got = ns_.get("/small");
  ASSERT_EQ(code(got), StatusCode::kOk);
  EXPECT_EQ(got.manifest().inline_data(), "small file");
  EXPECT_EQ(ns_.versions("/small").versions(0).inline_data(), "");  // left out, like chunks
  EXPECT_EQ(ns_.sm.chunk_count(), 0u);

  m.set_size_bytes(11);  // not the inline bytes' length
  r = ns_.put_manifest("/bad", m);
  EXPECT_EQ(code(r), StatusCode::kInvalidArgument);
  EXPECT_NE(message(r).find("inline bytes are 10"), std::string::npos) << message(r);
  m = manifest({0});  // chunks and inline bytes at once
  m.set_inline_data("x");
  r = ns_.put_manifest("/bad", m);
  EXPECT_EQ(code(r), StatusCode::kInvalidArgument);
  EXPECT_NE(message(r).find("both"), std::string::npos) << message(r);
  m = wire::Manifest();  // over the limit
  m.set_inline_data(std::string(kMaxInlineBytes + 1, 'x'));
  m.set_size_bytes(kMaxInlineBytes + 1);
  r = ns_.put_manifest("/bad", m);
  EXPECT_EQ(code(r), StatusCode::kInvalidArgument);
  EXPECT_NE(message(r).find("over the limit"), std::string::npos) << message(r);
  EXPECT_EQ(code(ns_.stat("/bad")), StatusCode::kNotFound);
  m.set_inline_data(std::string(kMaxInlineBytes, 'x'));  // at the limit
  m.set_size_bytes(kMaxInlineBytes);
  EXPECT_EQ(code(ns_.put_manifest("/max", m)), StatusCode::kOk);
}

// --- versions -------------------------------------------------------------------------------

TEST_F(CommandsTest, KeepsTheNewestVersionsAndDropsOlderOnes) {
  testing::NsDriver ns({.keep_versions = 3});
  std::vector<uint64_t> written;
  for (int i = 0; i < 5; ++i) {
    ns.now_ms = 100 * (i + 1);
    written.push_back(ns.put("/f", {i}).entry().version());
  }
  const wire::NsResult vs = ns.versions("/f");
  ASSERT_EQ(code(vs), StatusCode::kOk);
  ASSERT_EQ(vs.versions_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(vs.versions(i).version(), written[4 - i]);  // newest first
    EXPECT_EQ(vs.versions(i).mtime_ms(), 100 * (5 - i));
    EXPECT_EQ(vs.versions(i).chunks_size(), 0);  // left out
    EXPECT_EQ(vs.versions(i).size_bytes(), static_cast<uint64_t>(5 - i));
  }
  EXPECT_EQ(ns.get("/f").manifest().version(), written[4]);
  EXPECT_EQ(ns.get("/f", written[2]).manifest().version(), written[2]);
  const wire::NsResult gone = ns.get("/f", written[1]);
  EXPECT_EQ(code(gone), StatusCode::kNotFound);
  EXPECT_NE(message(gone).find(absl::StrFormat("kept: %d..%d", written[2], written[4])),
            std::string::npos)
      << message(gone);
  EXPECT_EQ(code(ns.get("/f", written[4] + 1)), StatusCode::kNotFound);
  EXPECT_EQ(code(ns.get("/nope")), StatusCode::kNotFound);
  EXPECT_EQ(code(ns.versions("/nope")), StatusCode::kNotFound);
  ASSERT_EQ(code(ns.mkdir("/d")), StatusCode::kOk);
  EXPECT_EQ(code(ns.get("/d")), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(ns.versions("/d")), StatusCode::kFailedPrecondition);
  // The dropped versions' chunks left the table.
  EXPECT_EQ(ns.sm.chunk_refs(chunk_digest(0)), 0u);
  EXPECT_EQ(ns.sm.chunk_refs(chunk_digest(1)), 0u);
  EXPECT_EQ(ns.sm.chunk_count(), 3u);
}

TEST_F(CommandsTest, VersionsGrowAcrossRemoveAndRecreate) {
  const uint64_t v1 = ns_.put("/f").entry().version();
  ASSERT_EQ(code(ns_.rm("/f")), StatusCode::kOk);
  const wire::NsResult r = ns_.put("/f");
  EXPECT_GT(r.entry().version(), v1);
  // An if_version naming the old file cannot match the new one.
  EXPECT_EQ(code(ns_.put("/f", {}, wire::IF_VERSION, v1)), StatusCode::kFailedPrecondition);
}

// --- the chunk table ------------------------------------------------------------------------

TEST_F(CommandsTest, ChunkRefsFollowPutOverwriteRemoveAndTheKeepLimit) {
  testing::NsDriver ns({.keep_versions = 2});
  ASSERT_EQ(code(ns.put("/f", {0, 1})), StatusCode::kOk);
  ASSERT_EQ(code(ns.put("/g", {1, 2, 2})), StatusCode::kOk);  // 2 twice: counted once
  EXPECT_EQ(ns.sm.chunk_refs(chunk_digest(0)), 1u);
  EXPECT_EQ(ns.sm.chunk_refs(chunk_digest(1)), 2u);
  EXPECT_EQ(ns.sm.chunk_refs(chunk_digest(2)), 1u);
  EXPECT_EQ(ns.sm.chunk_count(), 3u);
  ASSERT_EQ(code(ns.put("/f", {3})), StatusCode::kOk);  // the old version is still kept
  EXPECT_EQ(ns.sm.chunk_refs(chunk_digest(0)), 1u);
  EXPECT_EQ(ns.sm.chunk_refs(chunk_digest(3)), 1u);
  ASSERT_EQ(code(ns.put("/f", {3, 0})), StatusCode::kOk);  // drops {0, 1}, names 0 again
  EXPECT_EQ(ns.sm.chunk_refs(chunk_digest(0)), 1u);
  EXPECT_EQ(ns.sm.chunk_refs(chunk_digest(1)), 1u);
  EXPECT_EQ(ns.sm.chunk_refs(chunk_digest(3)), 2u);
  ASSERT_EQ(code(ns.rm("/g")), StatusCode::kOk);
  EXPECT_EQ(ns.sm.chunk_refs(chunk_digest(1)), 0u);
  EXPECT_EQ(ns.sm.chunk_refs(chunk_digest(2)), 0u);
  EXPECT_EQ(ns.sm.chunk_count(), 2u);
  ASSERT_EQ(code(ns.rm("/f")), StatusCode::kOk);
  EXPECT_EQ(ns.sm.chunk_count(), 0u);
  ns.sm.check_invariants();
}

TEST_F(CommandsTest, AKnownChunkKeepsTheTablesLayout) {
  wire::Manifest elsewhere = manifest({0});
  *elsewhere.mutable_chunks(0) = chunk_layout(0, /*node=*/7);
  ASSERT_EQ(code(ns_.put("/f", {0})), StatusCode::kOk);
  ASSERT_EQ(code(ns_.put_manifest("/g", elsewhere)), StatusCode::kOk);
  // Readers of /g get the table's layout (nodes 1 and 2), not the one /g was written with.
  const wire::NsResult g = ns_.get("/g");
  ASSERT_EQ(g.manifest().chunks_size(), 1);
  EXPECT_EQ(g.manifest().chunks(0).shards(0).node(), 1u);
  ASSERT_EQ(code(ns_.rm("/f")), StatusCode::kOk);
  EXPECT_EQ(ns_.get("/g").manifest().chunks(0).shards(0).node(), 1u);
}

// --- repair: moving a shard ---------------------------------------------------------------

// Every layout of the chunk table, serialized in digest order.
std::string table_of(const NamespaceStateMachine& sm) {
  std::string out;
  sm.chunk_table().each([&](const storage::wire::Layout& l) { out += l.SerializeAsString(); });
  return out;
}

TEST_F(CommandsTest, MoveShardRewritesTheTablesLayoutForEveryReader) {
  ASSERT_EQ(code(ns_.put("/f", {0})), StatusCode::kOk);
  ASSERT_EQ(code(ns_.put("/g", {0, 1})), StatusCode::kOk);
  // Chunk 0 is on nodes 1 and 2; shard 1 is rebuilt on node 5.
  ASSERT_EQ(code(ns_.move_shard(0, 1, 2, 5)), StatusCode::kOk);
  for (const char* path : {"/f", "/g"}) {
    const wire::NsResult r = ns_.get(path);
    ASSERT_GE(r.manifest().chunks_size(), 1) << path;
    EXPECT_EQ(r.manifest().chunks(0).shards(0).node(), 1u) << path;
    EXPECT_EQ(r.manifest().chunks(0).shards(1).node(), 5u) << path;
  }
  EXPECT_EQ(ns_.get("/g").manifest().chunks(1).shards(1).node(), 2u) << "other chunks stay";
  EXPECT_EQ(ns_.sm.chunk_refs(chunk_digest(0)), 2u);
  ns_.sm.check_invariants();
}

TEST_F(CommandsTest, MoveShardReplayedIsANoOp) {
  ASSERT_EQ(code(ns_.put("/f", {0})), StatusCode::kOk);
  ASSERT_EQ(code(ns_.move_shard(0, 1, 2, 5)), StatusCode::kOk);
  const std::string before = table_of(ns_.sm);
  EXPECT_EQ(code(ns_.move_shard(0, 1, 2, 5)), StatusCode::kOk);
  EXPECT_EQ(table_of(ns_.sm), before);
}

TEST_F(CommandsTest, MoveShardFromANodeThatNoLongerHoldsItChangesNothing) {
  ASSERT_EQ(code(ns_.put("/f", {0})), StatusCode::kOk);
  ASSERT_EQ(code(ns_.move_shard(0, 1, 2, 5)), StatusCode::kOk);
  const std::string before = table_of(ns_.sm);
  // A second repair of the same loss, planned before the first committed, comes late.
  EXPECT_EQ(code(ns_.move_shard(0, 1, 2, 6)), StatusCode::kFailedPrecondition);
  // A move onto a node that holds another shard of the chunk would put two there.
  EXPECT_EQ(code(ns_.move_shard(0, 1, 5, 1)), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(ns_.move_shard(0, 2, 1, 7)), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(ns_.move_shard(0, 1, 5, 0)), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(ns_.move_shard(3, 0, 1, 7)), StatusCode::kNotFound);
  EXPECT_EQ(table_of(ns_.sm), before);
  ns_.sm.check_invariants();
}

TEST_F(CommandsTest, MovedShardSurvivesASnapshot) {
  ASSERT_EQ(code(ns_.put("/f", {0})), StatusCode::kOk);
  ASSERT_EQ(code(ns_.move_shard(0, 0, 1, 9)), StatusCode::kOk);
  testing::NsDriver copy;
  ASSERT_TRUE(copy.sm.restore(ns_.sm.snapshot()).ok());
  EXPECT_EQ(copy.get("/f").manifest().chunks(0).shards(0).node(), 9u);
}

// --- remove, move ---------------------------------------------------------------------------

TEST_F(CommandsTest, RemoveTakesFilesOnly) {
  ASSERT_EQ(code(ns_.mkdir("/d")), StatusCode::kOk);
  const uint64_t v = ns_.put("/d/f").entry().version();
  wire::NsResult r = ns_.rm("/d");
  EXPECT_EQ(code(r), StatusCode::kFailedPrecondition);
  EXPECT_NE(message(r).find("\"/d\" is a directory"), std::string::npos);
  EXPECT_EQ(code(ns_.rm("/d/nope")), StatusCode::kNotFound);
  EXPECT_EQ(code(ns_.rm("/x/nope")), StatusCode::kNotFound);
  EXPECT_EQ(code(ns_.rm("/d/f", wire::IF_ABSENT)), StatusCode::kInvalidArgument);
  r = ns_.rm("/d/f", wire::IF_VERSION, v + 1);
  EXPECT_EQ(code(r), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(ns_.stat("/d/f")), StatusCode::kOk);
  ns_.now_ms = 9000;
  EXPECT_EQ(code(ns_.rm("/d/f", wire::IF_VERSION, v)), StatusCode::kOk);
  EXPECT_EQ(code(ns_.stat("/d/f")), StatusCode::kNotFound);
  EXPECT_EQ(ns_.stat("/d").entry().mtime_ms(), 9000);
  EXPECT_EQ(ns_.stat("/d").entry().children(), 0u);
}

TEST_F(CommandsTest, MoveRenamesAFile) {
  ASSERT_EQ(code(ns_.mkdir("/a")), StatusCode::kOk);
  ASSERT_EQ(code(ns_.mkdir("/b")), StatusCode::kOk);
  const uint64_t v = ns_.put("/a/f", {0}).entry().version();
  ns_.now_ms = 4242;
  const wire::NsResult r = ns_.mv("/a/f", "/b/g");
  ASSERT_EQ(code(r), StatusCode::kOk) << message(r);
  EXPECT_EQ(r.entry().name(), "g");
  EXPECT_EQ(r.entry().version(), v);  // a move writes no version
  EXPECT_EQ(code(ns_.stat("/a/f")), StatusCode::kNotFound);
  EXPECT_EQ(ns_.get("/b/g").manifest().version(), v);
  EXPECT_EQ(ns_.stat("/a").entry().mtime_ms(), 4242);
  EXPECT_EQ(ns_.stat("/b").entry().mtime_ms(), 4242);
  EXPECT_EQ(ns_.sm.chunk_refs(chunk_digest(0)), 1u);
}

TEST_F(CommandsTest, MoveCarriesADirectorysSubtree) {
  ASSERT_EQ(code(ns_.mkdir("/a/b/c", true)), StatusCode::kOk);
  ASSERT_EQ(code(ns_.put("/a/b/c/f", {0})), StatusCode::kOk);
  ASSERT_EQ(code(ns_.put("/a/b/g", {1})), StatusCode::kOk);
  const wire::NsResult r = ns_.mv("/a/b", "/z");
  ASSERT_EQ(code(r), StatusCode::kOk) << message(r);
  EXPECT_EQ(r.entry().kind(), wire::KIND_DIRECTORY);
  EXPECT_EQ(r.entry().children(), 2u);
  EXPECT_EQ(code(ns_.stat("/a/b")), StatusCode::kNotFound);
  EXPECT_EQ(code(ns_.stat("/z/c/f")), StatusCode::kOk);
  EXPECT_EQ(code(ns_.stat("/z/g")), StatusCode::kOk);
  EXPECT_EQ(ns_.list("/a").entries_size(), 0);
  ns_.sm.check_invariants();
}

TEST_F(CommandsTest, MoveRefusals) {
  ASSERT_EQ(code(ns_.mkdir("/a/b", true)), StatusCode::kOk);
  ASSERT_EQ(code(ns_.put("/f")), StatusCode::kOk);
  ASSERT_EQ(code(ns_.put("/g")), StatusCode::kOk);
  wire::NsResult r = ns_.mv("/a", "/a/b/c");
  EXPECT_EQ(code(r), StatusCode::kInvalidArgument);
  EXPECT_NE(message(r).find("under itself"), std::string::npos);
  EXPECT_EQ(code(ns_.mv("/a", "/a")), StatusCode::kInvalidArgument);  // onto itself
  EXPECT_EQ(code(ns_.mv("/a/", "/a")), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(ns_.mv("/nope", "/x")), StatusCode::kNotFound);
  r = ns_.mv("/f", "/g");
  EXPECT_EQ(code(r), StatusCode::kAlreadyExists);
  EXPECT_NE(message(r).find("\"/g\" exists"), std::string::npos);
  EXPECT_EQ(code(ns_.mv("/f", "/a/b")), StatusCode::kAlreadyExists);
  EXPECT_EQ(code(ns_.mv("/f", "/nope/f")), StatusCode::kNotFound);
  r = ns_.mv("/a", "/g/a");
  EXPECT_EQ(code(r), StatusCode::kFailedPrecondition);
  EXPECT_NE(message(r).find("\"/g\" is a file"), std::string::npos);
  // Nothing moved.
  EXPECT_EQ(ns_.list("/").entries_size(), 3);
  EXPECT_EQ(code(ns_.stat("/a/b")), StatusCode::kOk);
}

// --- list -----------------------------------------------------------------------------------

TEST_F(CommandsTest, ListsTenThousandEntriesInPages) {
  ASSERT_EQ(code(ns_.mkdir("/big")), StatusCode::kOk);
  constexpr int kFiles = 10'000;
  for (int i = kFiles - 1; i >= 0; --i) {
    ASSERT_EQ(code(ns_.put(absl::StrFormat("/big/f%05d", i))), StatusCode::kOk);
  }
  EXPECT_EQ(ns_.stat("/big").entry().children(), static_cast<uint64_t>(kFiles));
  // Default pages of 1000, in name order, chained by next_after.
  std::vector<std::string> names;
  std::string after;
  int pages = 0;
  do {
    const wire::NsResult page = ns_.list("/big", after);
    ASSERT_EQ(code(page), StatusCode::kOk);
    ASSERT_EQ(page.entries_size(), 1000);
    for (const wire::EntryInfo& e : page.entries()) names.push_back(e.name());
    after = page.next_after();
    ++pages;
    if (!after.empty()) {
      EXPECT_EQ(after, names.back());
    }
  } while (!after.empty() && pages < 20);
  EXPECT_EQ(pages, 10);
  ASSERT_EQ(names.size(), static_cast<size_t>(kFiles));
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(names.front(), "f00000");
  // A limit over the cap gets the cap; start_after need not be a name.
  const wire::NsResult all = ns_.list("/big", "", 50'000);
  EXPECT_EQ(all.entries_size(), kFiles);
  EXPECT_EQ(all.next_after(), "");
  const wire::NsResult tail = ns_.list("/big", "f09997x", 10);
  ASSERT_EQ(tail.entries_size(), 2);
  EXPECT_EQ(tail.entries(0).name(), "f09998");
  EXPECT_EQ(tail.next_after(), "");
  const wire::NsResult three = ns_.list("/big", "f00100", 3);
  ASSERT_EQ(three.entries_size(), 3);
  EXPECT_EQ(three.entries(0).name(), "f00101");
  EXPECT_EQ(three.next_after(), "f00103");
}

TEST_F(CommandsTest, ListIsInByteOrderAndOnlyOfDirectories) {
  for (const char* name : {"/b", "/\xc3\xa9", "/B", "/a", "/a0", "/_"}) {
    ASSERT_EQ(code(ns_.put(name)), StatusCode::kOk) << name;
  }
  const wire::NsResult r = ns_.list("/");
  std::vector<std::string> names;
  for (const wire::EntryInfo& e : r.entries()) names.push_back(e.name());
  EXPECT_EQ(names, (std::vector<std::string>{"B", "_", "a", "a0", "b", "\xc3\xa9"}));
  EXPECT_EQ(code(ns_.list("/a")), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(ns_.list("/nope")), StatusCode::kNotFound);
  EXPECT_EQ(code(ns_.stat("/a/x")), StatusCode::kNotFound);
}

}  // namespace
}  // namespace cairn::meta
