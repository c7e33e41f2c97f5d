// NamespaceStateMachine as a Raft state machine: entries without commands, unreadable
// input, the node registry, find_missing, sessions and snapshots.
#include "core/meta/namespace_state_machine.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "core/meta/namespace_test_util.h"

namespace cairn::meta {
namespace {

using absl::StatusCode;
using testing::chunk_digest;
using testing::code;
using testing::manifest;
using testing::message;
using testing::NamespaceTest;

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

// --- find_missing ---------------------------------------------------------------------------

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

TEST_F(NamespaceTest, APutNamingAKnownChunkThatWasDroppedSinceIsRefused) {
  ASSERT_EQ(code(ns_.put("/a", {1, 2})), StatusCode::kOk);
  // A writer learned that chunk 2 is kept (FindMissing) and did not upload it.
  auto put_known = [&](const std::string& path) {
    wire::NsCommand c;
    c.mutable_put_file()->set_path(path);
    *c.mutable_put_file()->mutable_manifest() = manifest({2, 3});
    storage::digest_to(chunk_digest(2), c.mutable_put_file()->add_known_chunks());
    return ns_.apply(c);
  };
  EXPECT_EQ(code(put_known("/b")), StatusCode::kOk);
  EXPECT_EQ(ns_.sm.chunk_refs(chunk_digest(2)), 2u);
  // Every version naming chunk 2 is removed: a collector may take its shards.
  ASSERT_EQ(code(ns_.rm("/a")), StatusCode::kOk);
  ASSERT_EQ(code(ns_.rm("/b")), StatusCode::kOk);
  ASSERT_EQ(ns_.sm.chunk_refs(chunk_digest(2)), 0u);
  const wire::NsResult late = put_known("/c");
  EXPECT_EQ(code(late), StatusCode::kFailedPrecondition);
  EXPECT_NE(message(late).find("put the file again"), std::string::npos) << message(late);
  EXPECT_EQ(code(ns_.stat("/c")), StatusCode::kNotFound) << "a refused put changes nothing";
  EXPECT_EQ(ns_.sm.chunk_count(), 0u);
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

TEST_F(NamespaceTest, AConditionalRegistrationNeverChangesADrainingNodesState) {
  // Node scoring re-weights with only_if_up: a drain committed first is kept.
  wire::NsCommand weigh = register_node(4, "z1", wire::NODE_UP, 0.9);
  weigh.mutable_register_node()->set_only_if_up(true);
  EXPECT_EQ(ns_.apply(weigh).epoch(), 1u);  // unregistered: applied
  EXPECT_EQ(ns_.apply(register_node(4, "z1", wire::NODE_DRAINING, 0.9)).epoch(), 2u);
  weigh.mutable_register_node()->mutable_node()->set_weight(0.8);
  EXPECT_EQ(code(ns_.apply(weigh)), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ns_.sm.epoch(), 2u);
  EXPECT_EQ(ns_.sm.registry().nodes().at(4).state(), wire::NODE_DRAINING);
  EXPECT_EQ(ns_.sm.registry().nodes().at(4).weight(), 0.9);
  // Unconditional (an operator's undrain) still applies.
  EXPECT_EQ(ns_.apply(register_node(4, "z1", wire::NODE_UP, 0.9)).epoch(), 3u);
  EXPECT_EQ(ns_.apply(weigh).epoch(), 4u);
  EXPECT_EQ(ns_.sm.registry().nodes().at(4).weight(), 0.8);
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
