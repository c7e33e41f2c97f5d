#include "core/meta/namespace_state_machine.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "absl/strings/str_format.h"
#include "core/meta/namespace_test_util.h"

namespace cairn::meta {
namespace {

using absl::StatusCode;
using testing::chunk_digest;
using testing::chunk_layout;
using testing::code;
using testing::manifest;

std::string message(const wire::NsResult& r) { return r.status().message(); }

class NamespaceTest : public ::testing::Test {
 protected:
  testing::NsDriver ns_;
};

// --- entries and queries that carry no command ------------------------------------------

TEST_F(NamespaceTest, NoOpsAndConfigurationChangesCarryNoCommand) {
  raft::wire::Entry e;
  e.set_index(1);
  auto r = ns_.sm.apply(e);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  e.set_index(2);
  e.set_type(raft::wire::ENTRY_CONF_CHANGE);
  e.set_data("a configuration change");
  r = ns_.sm.apply(e);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(ns_.sm.applied_index(), 2u);
}

TEST_F(NamespaceTest, UnreadableEntriesAndQueriesAreInvalidArgument) {
  raft::wire::Entry e;
  e.set_index(1);
  e.set_data("\xff\xff\xff");
  EXPECT_TRUE(absl::IsInvalidArgument(ns_.sm.apply(e).status()));
  EXPECT_EQ(ns_.sm.applied_index(), 1u);  // skipped, yet applied
  EXPECT_TRUE(absl::IsInvalidArgument(ns_.sm.query("\xff\xff\xff").status()));
  // Readable, but without an operation: a result saying so.
  EXPECT_EQ(code(ns_.apply(wire::NsCommand())), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(ns_.ask(wire::NsQuery())), StatusCode::kInvalidArgument);
}

TEST_F(NamespaceTest, InvalidPathsAreRefusedByEveryOperation) {
  for (const std::string& bad : {std::string("a"), std::string("/a//b"), std::string("/a/../b"),
                                 std::string("/a\0b", 4), "/" + std::string(256, 'x')}) {
    EXPECT_EQ(code(ns_.mkdir(bad, true)), StatusCode::kInvalidArgument);
    EXPECT_EQ(code(ns_.put(bad)), StatusCode::kInvalidArgument);
    EXPECT_EQ(code(ns_.rmdir(bad)), StatusCode::kInvalidArgument);
    EXPECT_EQ(code(ns_.rm(bad)), StatusCode::kInvalidArgument);
    EXPECT_EQ(code(ns_.mv("/", bad)), StatusCode::kInvalidArgument);
    EXPECT_EQ(code(ns_.stat(bad)), StatusCode::kInvalidArgument);
    EXPECT_EQ(code(ns_.list(bad)), StatusCode::kInvalidArgument);
    EXPECT_EQ(code(ns_.get(bad)), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(ns_.list("/").entries_size(), 0);
}

// --- the root -------------------------------------------------------------------------------

TEST_F(NamespaceTest, TheRootAlwaysExists) {
  const wire::NsResult root = ns_.stat("/");
  EXPECT_EQ(code(root), StatusCode::kOk);
  EXPECT_EQ(root.entry().kind(), wire::KIND_DIRECTORY);
  EXPECT_EQ(root.entry().name(), "");
  EXPECT_EQ(code(ns_.mkdir("/")), StatusCode::kAlreadyExists);
  EXPECT_EQ(code(ns_.mkdir("/", true)), StatusCode::kOk);
  EXPECT_EQ(code(ns_.rmdir("/")), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(ns_.rm("/")), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(ns_.put("/")), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(ns_.mv("/", "/a")), StatusCode::kInvalidArgument);
  ASSERT_EQ(code(ns_.mkdir("/a")), StatusCode::kOk);
  EXPECT_EQ(code(ns_.mv("/a", "/")), StatusCode::kAlreadyExists);
  EXPECT_EQ(code(ns_.stat("/")), StatusCode::kOk);
}

// --- mkdir, rmdir ---------------------------------------------------------------------------

TEST_F(NamespaceTest, MkdirNeedsItsParentUnlessAskedToMakeIt) {
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

TEST_F(NamespaceTest, MkdirThroughAFileFailsAndMakesNothing) {
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

TEST_F(NamespaceTest, RmdirRefusesFilesAndDirectoriesThatAreNotEmpty) {
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

TEST_F(NamespaceTest, PutWritesAVersionAtTheEntrysIndex) {
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

TEST_F(NamespaceTest, PutNeedsADirectoryParentAndNoDirectoryAtThePath) {
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

TEST_F(NamespaceTest, PutConditions) {
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

TEST_F(NamespaceTest, PutChecksTheManifest) {
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

// --- versions -------------------------------------------------------------------------------

TEST_F(NamespaceTest, KeepsTheNewestVersionsAndDropsOlderOnes) {
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

TEST_F(NamespaceTest, VersionsGrowAcrossRemoveAndRecreate) {
  const uint64_t v1 = ns_.put("/f").entry().version();
  ASSERT_EQ(code(ns_.rm("/f")), StatusCode::kOk);
  const wire::NsResult r = ns_.put("/f");
  EXPECT_GT(r.entry().version(), v1);
  // An if_version naming the old file cannot match the new one.
  EXPECT_EQ(code(ns_.put("/f", {}, wire::IF_VERSION, v1)), StatusCode::kFailedPrecondition);
}

// --- the chunk table ------------------------------------------------------------------------

TEST_F(NamespaceTest, ChunkRefsFollowPutOverwriteRemoveAndTheKeepLimit) {
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

TEST_F(NamespaceTest, AKnownChunkKeepsTheTablesLayout) {
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

TEST_F(NamespaceTest, FindMissing) {
  ASSERT_EQ(code(ns_.put("/f", {1, 3})), StatusCode::kOk);
  wire::NsQuery q;
  for (int i : {4, 3, 0, 1, 4})
    storage::digest_to(chunk_digest(i), q.mutable_find_missing()->add_chunks());
  wire::NsResult r = ns_.ask(q);
  ASSERT_EQ(code(r), StatusCode::kOk);
  ASSERT_EQ(r.missing_size(), 2);  // in request order, a repeated digest once
  EXPECT_EQ(*storage::digest_from(r.missing(0)), chunk_digest(4));
  EXPECT_EQ(*storage::digest_from(r.missing(1)), chunk_digest(0));
  ASSERT_EQ(r.known_size(), 2);
  EXPECT_EQ(*storage::digest_from(r.known(0).chunk()), chunk_digest(3));
  EXPECT_EQ(r.known(0).shards_size(), 2);
  EXPECT_EQ(*storage::digest_from(r.known(1).chunk()), chunk_digest(1));
  q.mutable_find_missing()->mutable_chunks(2)->set_sha256("not 32 bytes");
  EXPECT_EQ(code(ns_.ask(q)), StatusCode::kInvalidArgument);
  wire::NsQuery big;
  for (size_t i = 0; i <= kMaxFindMissing; ++i) {
    storage::digest_to(chunk_digest(0), big.mutable_find_missing()->add_chunks());
  }
  r = ns_.ask(big);
  EXPECT_EQ(code(r), StatusCode::kInvalidArgument);
  EXPECT_NE(message(r).find("at most 10000"), std::string::npos);
  big.mutable_find_missing()->mutable_chunks()->RemoveLast();
  EXPECT_EQ(code(ns_.ask(big)), StatusCode::kOk);
}

// --- remove, move ---------------------------------------------------------------------------

TEST_F(NamespaceTest, RemoveTakesFilesOnly) {
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

TEST_F(NamespaceTest, MoveRenamesAFile) {
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

TEST_F(NamespaceTest, MoveCarriesADirectorysSubtree) {
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

TEST_F(NamespaceTest, MoveRefusals) {
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

TEST_F(NamespaceTest, ListsTenThousandEntriesInPages) {
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

TEST_F(NamespaceTest, ListIsInByteOrderAndOnlyOfDirectories) {
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

// --- the node registry ----------------------------------------------------------------------

wire::NsCommand register_node(uint32_t id, const std::string& zone,
                              wire::NodeState state = wire::NODE_UP, double weight = 0) {
  wire::NsCommand c;
  wire::StorageNode* n = c.mutable_register_node()->mutable_node();
  n->set_id(id);
  n->set_address(absl::StrCat("10.0.0.", id, ":7000"));
  n->set_zone(zone);
  n->set_capacity_bytes(1 << 30);
  n->set_weight(weight);
  n->set_state(state);
  return c;
}

TEST_F(NamespaceTest, RegisterNodeCountsEpochsOfChange) {
  EXPECT_EQ(ns_.sm.epoch(), 0u);
  EXPECT_EQ(ns_.apply(register_node(2, "z1")).epoch(), 1u);
  EXPECT_EQ(ns_.apply(register_node(2, "z1")).epoch(), 1u);  // unchanged
  EXPECT_EQ(ns_.apply(register_node(1, "z2")).epoch(), 2u);
  EXPECT_EQ(ns_.apply(register_node(2, "z3")).epoch(), 3u);
  EXPECT_EQ(ns_.apply(register_node(2, "z3", wire::NODE_DRAINING)).epoch(), 4u);
  EXPECT_EQ(ns_.apply(register_node(2, "z3", wire::NODE_DRAINING, 2.5)).epoch(), 5u);
  EXPECT_EQ(code(ns_.apply(register_node(0, "z1"))), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(ns_.apply(register_node(3, "z1", static_cast<wire::NodeState>(9)))),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code(ns_.apply(register_node(3, "z1", wire::NODE_UP, -1))),
            StatusCode::kInvalidArgument);
  wire::NsQuery q;
  q.mutable_nodes();
  const wire::NsResult r = ns_.ask(q);
  ASSERT_EQ(code(r), StatusCode::kOk);
  EXPECT_EQ(r.epoch(), 5u);
  ASSERT_EQ(r.nodes_size(), 2);
  EXPECT_EQ(r.nodes(0).id(), 1u);
  EXPECT_EQ(r.nodes(1).id(), 2u);
  EXPECT_EQ(r.nodes(1).zone(), "z3");
  EXPECT_EQ(r.nodes(1).state(), wire::NODE_DRAINING);
  EXPECT_EQ(r.nodes(1).weight(), 2.5);
}

// --- sessions -------------------------------------------------------------------------------

wire::NsCommand put_command(const std::string& path, const std::vector<int>& chunks) {
  wire::NsCommand c;
  c.mutable_put_file()->set_path(path);
  *c.mutable_put_file()->mutable_manifest() = manifest(chunks);
  return c;
}

TEST_F(NamespaceTest, ARetryReturnsTheRecordedResultAndAppliesOnce) {
  const wire::NsResult first = ns_.apply(put_command("/f", {0}), 7, 1);
  ASSERT_EQ(code(first), StatusCode::kOk);
  ASSERT_EQ(code(ns_.apply(put_command("/g", {1}), 8, 1)), StatusCode::kOk);
  const wire::NsResult again = ns_.apply(put_command("/f", {0}), 7, 1);
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(ns_.versions("/f").versions_size(), 1);
  EXPECT_EQ(ns_.sm.chunk_refs(chunk_digest(0)), 1u);
  // A mkdir retried is still the success it was, not AlreadyExists.
  wire::NsCommand mk;
  mk.mutable_mkdir()->set_path("/d");
  ASSERT_EQ(code(ns_.apply(mk, 7, 2)), StatusCode::kOk);
  EXPECT_EQ(code(ns_.apply(mk, 7, 2)), StatusCode::kOk);
  EXPECT_EQ(code(ns_.apply(mk, 7, 3)), StatusCode::kAlreadyExists);  // a new command
  EXPECT_EQ(code(ns_.apply(mk)), StatusCode::kAlreadyExists);        // no session
  EXPECT_EQ(ns_.sm.session_count(), 2u);
}

TEST_F(NamespaceTest, SessionsAreBoundedAndExpireTheLeastRecentlyActive) {
  testing::NsDriver ns({.keep_versions = 10, .max_sessions = 2});
  ns.apply(put_command("/f", {0}), 1, 1);
  ns.apply(put_command("/f", {0}), 2, 1);
  ns.apply(put_command("/f", {0}), 1, 1);  // a retry: client 1 is active again
  ns.apply(put_command("/f", {0}), 3, 1);  // expires client 2
  EXPECT_EQ(ns.sm.session_count(), 2u);
  EXPECT_EQ(ns.versions("/f").versions_size(), 3);
  ns.apply(put_command("/f", {0}), 1, 1);  // still known: not applied
  EXPECT_EQ(ns.versions("/f").versions_size(), 3);
  ns.apply(put_command("/f", {0}), 2, 1);  // forgotten: applies again
  EXPECT_EQ(ns.versions("/f").versions_size(), 4);
}

// --- snapshots ------------------------------------------------------------------------------

// Every answer the machine gives about the paths in `paths` and the chunks 0..9.
std::string answers(const testing::NsDriver& ns, const std::vector<std::string>& paths) {
  std::string out;
  for (const std::string& p : paths) {
    out += ns.stat(p).SerializeAsString();
    out += ns.list(p).SerializeAsString();
    out += ns.list(p, "a", 1).SerializeAsString();
    out += ns.get(p).SerializeAsString();
    out += ns.versions(p).SerializeAsString();
  }
  wire::NsQuery q;
  for (int i = 0; i < 10; ++i)
    storage::digest_to(chunk_digest(i), q.mutable_find_missing()->add_chunks());
  out += ns.ask(q).SerializeAsString();
  q.mutable_nodes();
  out += ns.ask(q).SerializeAsString();
  return out;
}

TEST_F(NamespaceTest, SnapshotRoundTripAnswersIdentically) {
  ASSERT_EQ(code(ns_.mkdir("/a/b", true)), StatusCode::kOk);
  ASSERT_EQ(code(ns_.apply(put_command("/a/f", {0, 1}), 5, 1)), StatusCode::kOk);
  ASSERT_EQ(code(ns_.put("/a/f", {2})), StatusCode::kOk);
  ASSERT_EQ(code(ns_.put("/a/b/g", {1, 3})), StatusCode::kOk);
  ASSERT_EQ(code(ns_.apply(register_node(4, "z"))), StatusCode::kOk);
  const std::vector<std::string> paths = {"/", "/a", "/a/b", "/a/f", "/a/b/g", "/nope"};
  const std::string snap = ns_.sm.snapshot();

  testing::NsDriver copy;
  ASSERT_TRUE(copy.sm.restore(snap).ok());
  EXPECT_EQ(copy.sm.applied_index(), ns_.sm.applied_index());
  EXPECT_EQ(answers(copy, paths), answers(ns_, paths));
  EXPECT_EQ(copy.sm.snapshot(), snap);
  EXPECT_EQ(copy.sm.chunk_count(), ns_.sm.chunk_count());
  EXPECT_EQ(copy.sm.epoch(), 1u);
  copy.sm.check_invariants();
  // The session came along: the retry is answered, not applied.
  EXPECT_EQ(code(copy.apply(put_command("/a/f", {0, 1}), 5, 1)), StatusCode::kOk);
  EXPECT_EQ(copy.versions("/a/f").versions_size(), 2);
}

TEST_F(NamespaceTest, RestoreRefusesBadSnapshotsAndKeepsItsState) {
  ASSERT_EQ(code(ns_.put("/f", {0})), StatusCode::kOk);
  const std::string before = ns_.sm.snapshot();
  EXPECT_TRUE(absl::IsDataLoss(ns_.sm.restore("\xff\xff garbage")));

  wire::NsSnapshot snap;
  ASSERT_TRUE(snap.ParseFromString(before));
  wire::NsSnapshot wrong_refs = snap;
  wrong_refs.mutable_chunks(0)->set_refs(2);
  EXPECT_TRUE(absl::IsDataLoss(ns_.sm.restore(wrong_refs.SerializeAsString())));
  wire::NsSnapshot orphan = snap;
  orphan.add_paths()->set_path("/x/y");
  orphan.mutable_paths(orphan.paths_size() - 1)->mutable_dir();
  EXPECT_TRUE(absl::IsDataLoss(ns_.sm.restore(orphan.SerializeAsString())));
  wire::NsSnapshot bad_path = snap;
  bad_path.mutable_paths(1)->set_path("/a/../f");
  EXPECT_TRUE(absl::IsDataLoss(ns_.sm.restore(bad_path.SerializeAsString())));
  wire::NsSnapshot no_chunks = snap;
  no_chunks.clear_chunks();
  EXPECT_TRUE(absl::IsDataLoss(ns_.sm.restore(no_chunks.SerializeAsString())));
  wire::NsSnapshot empty_file = snap;
  empty_file.mutable_paths(1)->mutable_file()->clear_versions();
  EXPECT_TRUE(absl::IsDataLoss(ns_.sm.restore(empty_file.SerializeAsString())));

  EXPECT_EQ(ns_.sm.snapshot(), before);
  EXPECT_TRUE(ns_.sm.restore(before).ok());
  EXPECT_EQ(ns_.sm.snapshot(), before);
}

}  // namespace
}  // namespace cairn::meta
