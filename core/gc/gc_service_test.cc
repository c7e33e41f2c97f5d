// GcService on a three-node meta group (real Raft and namespace, on the hand-driven
// ManualCluster) against four storage nodes held by FakeShards: files are put and removed
// through Raft, and the test watches which shards the leader's sweeps delete.
#include "core/gc/gc_service.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/meta/namespace_service.h"
#include "core/meta/namespace_state_machine.h"
#include "core/meta/roles.h"
#include "core/raft/mux_state_machine.h"
#include "core/raft/raft_service.h"
#include "core/runtime/manual_runtime.h"
#include "core/storage/chunk_wire.h"
#include "core/storage/testing/fake_shards.h"

namespace cairn::gc {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr NodeId kShardHost = 50;  // the runtime FakeShards answers on; never crashes
const std::vector<NodeId> kMeta = {1, 2, 3};
const std::vector<NodeId> kStorage = {11, 12, 13, 14};

class GcCluster {
 public:
  explicit GcCluster(GcOptions options, uint64_t seed = 5)
      : cluster_(seed), options_(options), shards_(cluster_.add_node(kShardHost)) {
    for (NodeId id : kMeta) {
      cluster_.add_node(id);
      boot(id);
    }
  }

  void crash(NodeId id) {
    cluster_.crash(id);
    nodes_.erase(id);
  }
  void restart(NodeId id) {
    cluster_.restart(id);
    boot(id);
  }
  // Runs `d`, asserting after every 10 ms that every shard a kept file names is held.
  void run(Duration d) {
    for (Duration t{0}; t < d && !::testing::Test::HasFailure(); t += milliseconds(10)) {
      cluster_.advance(milliseconds(10));
      for (const auto& [file, chunk] : files_) {
        for (NodeId n : placed(chunk)) {
          ASSERT_TRUE(shards_.holds(n, chunk)) << file << " lost its shard on n" << n;
        }
      }
    }
  }
  // Runs until the clock reads `t` (since the start).
  void run_until(Duration t) { run(t - cluster_.now().time_since_epoch()); }
  // Drops every Raft message to or from `id` (the shard calls are not messages here).
  void isolate(NodeId id) {
    cluster_.filter = [id](NodeId from, NodeId to, const Message&) {
      return from != id && to != id;
    };
  }
  NodeId leader() {
    for (auto& [id, node] : nodes_) {
      if (raft(id)->is_leader()) return id;
    }
    return kNoNode;
  }
  NodeId await_leader() {
    for (int i = 0; i < 500 && leader() == kNoNode; ++i) run(milliseconds(10));
    return leader();
  }
  raft::RaftService* raft(NodeId id) { return nodes_.at(id)->find<raft::RaftService>(); }
  GcService* gc(NodeId id) { return nodes_.at(id)->find<GcService>(); }
  const meta::NamespaceStateMachine& ns(NodeId id) {
    const auto& mux = dynamic_cast<const raft::MuxStateMachine&>(raft(id)->state_machine());
    return dynamic_cast<const meta::NamespaceStateMachine&>(mux.machine(meta::kNamespaceChannel));
  }

  // Stores the three replicas of chunk `n` (on three of the four storage nodes), as a
  // coordinator would before the manifest is committed.
  cas::Digest upload(int n) {
    const std::string bytes = absl::StrCat("chunk ", n, " ", std::string(100 + n, 'x'));
    const cas::Digest d = cas::Digest::of(bytes);
    for (NodeId node : placed(d)) {
      shards_.put(node, d, Payload(bytes), [](auto r) { ASSERT_TRUE(r.ok()); });
    }
    cluster_.advance(milliseconds(5));
    return d;
  }
  // Commits `path` naming chunk `d` through the leader.
  void put(const std::string& path, const cas::Digest& d) {
    storage::ChunkLayout l;
    l.chunk = d;
    l.mode = storage::StorageMode::kReplicated;
    l.data_shards = 1;
    l.parity_shards = 2;
    l.shard_bytes = d.size_bytes();
    for (NodeId node : placed(d)) l.shards.push_back({d, node});
    meta::wire::NsCommand c;
    c.mutable_put_file()->set_path(path);
    *c.mutable_put_file()->mutable_manifest()->add_chunks() = storage::to_wire(l);
    c.mutable_put_file()->mutable_manifest()->set_size_bytes(d.size_bytes());
    commit(c);
    files_[path] = d;
  }
  void remove(const std::string& path) {
    meta::wire::NsCommand c;
    c.mutable_remove()->set_path(path);
    commit(c);
    files_.erase(path);
  }
  // The storage nodes chunk `d` is placed on: three of four, by its first byte.
  static std::vector<NodeId> placed(const cas::Digest& d) {
    std::vector<NodeId> out;
    const size_t skip = d.prefix64() % kStorage.size();
    for (size_t i = 0; i < kStorage.size(); ++i) {
      if (i != skip) out.push_back(kStorage[i]);
    }
    return out;
  }
  bool held_anywhere(const cas::Digest& d) const {
    for (NodeId n : kStorage) {
      if (shards_.holds(n, d)) return true;
    }
    return false;
  }
  // How many of the node's events (the leader's trace) are of `kind`.
  size_t events(NodeId id, const std::string& kind) {
    size_t n = 0;
    for (const Event& e : cluster_.node(id).events()) n += e.kind == kind ? 1 : 0;
    return n;
  }
  int64_t counter(NodeId id, const char* name) {
    return cluster_.node(id).metrics().counter(name).value();
  }
  storage::testing::FakeShards& shards() { return shards_; }

 private:
  void boot(NodeId id) {
    auto node = std::make_unique<Node>(cluster_.node(id));
    raft::RaftServiceConfig config;
    config.voters = kMeta;
    config.tick = milliseconds(10);
    config.snapshot_every = 0;
    kv::MetaOptions o;
    o.keep_versions = 1;
    ASSERT_TRUE(meta::install(*node, config, o).ok());
    Node* raw = node.get();
    auto* raft = raw->find<raft::RaftService>();
    const auto& mux = dynamic_cast<const raft::MuxStateMachine&>(raft->state_machine());
    const auto& ns =
        dynamic_cast<const meta::NamespaceStateMachine&>(mux.machine(meta::kNamespaceChannel));
    ASSERT_TRUE(
        raw->add(std::make_unique<GcService>(
                     cluster_.node(id), *raft, ns,
                     [this]() -> storage::ShardClient* { return &shards_; }, kStorage, options_))
            .ok());
    nodes_[id] = std::move(node);
    cluster_.set_handler(id, [raw](NodeId from, const Message& m) {
      raw->deliver(from, m);
      raw->check_invariants();
    });
    raw->start();
  }
  void commit(const meta::wire::NsCommand& c) {
    const NodeId l = await_leader();
    ASSERT_NE(l, kNoNode);
    std::optional<absl::StatusOr<std::string>> out;
    raft(l)->propose(raft::MuxStateMachine::wrap(meta::kNamespaceChannel, c.SerializeAsString()),
                     [&out](absl::StatusOr<std::string> r) { out = std::move(r); });
    for (int i = 0; i < 500 && !out; ++i) cluster_.advance(milliseconds(1));
    ASSERT_TRUE(out.has_value() && out->ok());
    meta::wire::NsResult r;
    ASSERT_TRUE(r.ParseFromString(**out));
    ASSERT_EQ(r.status().code(), 0) << r.status().message();
  }

  ManualCluster cluster_;
  GcOptions options_;
  storage::testing::FakeShards shards_;
  std::map<NodeId, std::unique_ptr<Node>> nodes_;
  std::map<std::string, cas::Digest> files_;  // kept files and their one chunk
};

GcOptions options(Duration grace, double delete_rate = 0) {
  GcOptions o;
  o.interval = seconds(10);
  o.grace = grace;
  o.page = 4;
  o.delete_rate = delete_rate;
  return o;
}

TEST(GcService, ARemovedFilesShardsAreDeletedFromEveryNodeOnceTheGraceHasPassed) {
  GcCluster c(options(seconds(12)));
  const NodeId leader = c.await_leader();
  const cas::Digest gone = c.upload(1);
  c.put("/gone", gone);
  // Kept files with a shard on every storage node; run() checks them every 10 ms.
  std::set<NodeId> covered;
  for (int i = 0; covered.size() < kStorage.size(); ++i) {
    const cas::Digest d = c.upload(20 + i);
    c.put(absl::StrCat("/kept", i), d);
    for (NodeId n : GcCluster::placed(d)) covered.insert(n);
  }
  c.remove("/gone");
  EXPECT_EQ(c.ns(leader).chunk_refs(gone), 0u);  // no kept version names it: out of the table
  c.run_until(seconds(11));  // the sweep at 10s: stored 10s ago, within the 12s grace
  EXPECT_EQ(c.events(leader, "gc_sweep_done"), 1u);
  EXPECT_TRUE(c.held_anywhere(gone));
  EXPECT_EQ(c.counter(leader, "gc_shards_in_grace"), 3);
  c.run_until(seconds(21));  // the sweep at 20s
  EXPECT_EQ(c.events(leader, "gc_sweep_done"), 2u);
  EXPECT_FALSE(c.held_anywhere(gone));
  EXPECT_EQ(c.counter(leader, "gc_shards_deleted"), 3);
  // Only the leader sweeps.
  for (NodeId id : kMeta) {
    if (id != leader) {
      EXPECT_EQ(c.events(id, "gc_sweep_start"), 0u) << "n" << id;
    }
  }
}

TEST(GcService, AShardUploadedButNotYetCommittedIsKeptWithinTheGrace) {
  GcCluster c(options(seconds(5)));
  c.await_leader();
  c.run_until(seconds(8));
  const cas::Digest pending = c.upload(3);    // at 8s; its manifest commits at 12s
  const cas::Digest abandoned = c.upload(4);  // a put that never commits
  c.run_until(seconds(11));                   // the sweep at 10s keeps both: stored 2s before
  EXPECT_TRUE(c.held_anywhere(pending));
  EXPECT_TRUE(c.held_anywhere(abandoned));
  c.put("/late", pending);
  c.run_until(seconds(21));  // the sweep at 20s: past the grace
  for (NodeId n : GcCluster::placed(pending)) EXPECT_TRUE(c.shards().holds(n, pending));
  EXPECT_FALSE(c.held_anywhere(abandoned));
}

// Twenty files, ten removed; deletes at 10 a second make the sweep last about 3 s, and
// the leader crashes 1 s into it. run() checks every 10 ms that no kept file lost a shard.
TEST(GcService, ALeaderThatCrashesMidSweepLeavesEveryReferencedShardAndTheNextOneFinishes) {
  GcCluster c(options(seconds(5), /*delete_rate=*/10));
  const NodeId first = c.await_leader();
  std::vector<cas::Digest> removed;
  for (int i = 0; i < 20; ++i) {
    const cas::Digest d = c.upload(10 + i);
    c.put(absl::StrCat("/f", i), d);
    if (i % 2 == 0) removed.push_back(d);
  }
  for (int i = 0; i < 20; i += 2) c.remove(absl::StrCat("/f", i));
  c.run_until(seconds(11));  // the sweep at 10s has begun
  ASSERT_TRUE(c.gc(first)->sweeping());
  c.crash(first);
  const int64_t deleted_before = c.counter(first, "gc_shards_deleted");
  EXPECT_GT(deleted_before, 0);
  EXPECT_LT(deleted_before, 30);  // 10 files of 3 replicas: not all deleted yet
  EXPECT_EQ(c.events(first, "gc_sweep_done"), 0u);
  c.run(seconds(1));
  const NodeId second = c.await_leader();
  ASSERT_NE(second, kNoNode);
  ASSERT_NE(second, first);
  c.run_until(seconds(25));  // the new leader's sweep at 20s, 3 s at most
  EXPECT_EQ(c.events(second, "gc_sweep_done"), 1u);
  EXPECT_GT(c.counter(second, "gc_shards_deleted"), 0);
  for (const cas::Digest& d : removed) EXPECT_FALSE(c.held_anywhere(d));
  c.restart(first);  // back as a follower: it sweeps nothing
  c.run_until(seconds(37));
  EXPECT_EQ(c.events(first, "gc_sweep_start"), 1u);
}

TEST(GcService, ALeaderCutOffMidSweepStopsItAndDeletesNothingMore) {
  GcCluster c(options(seconds(5), /*delete_rate=*/10));
  const NodeId first = c.await_leader();
  for (int i = 0; i < 20; ++i) {
    c.put(absl::StrCat("/f", i), c.upload(10 + i));
    c.remove(absl::StrCat("/f", i));
  }
  c.run_until(seconds(11));
  ASSERT_TRUE(c.gc(first)->sweeping());
  // Cut the leader off from its peers (not from the storage nodes): it steps down
  // (check_quorum) and its sweep stops, with deletes left undone.
  c.isolate(first);
  c.run(seconds(1));
  EXPECT_FALSE(c.raft(first)->is_leader());
  EXPECT_FALSE(c.gc(first)->sweeping());
  EXPECT_EQ(c.events(first, "gc_sweep_stopped"), 1u);
  const int64_t deleted = c.counter(first, "gc_shards_deleted");
  EXPECT_LT(deleted, 60);
  c.run(seconds(3));
  EXPECT_EQ(c.counter(first, "gc_shards_deleted"), deleted);
}

}  // namespace
}  // namespace cairn::gc
