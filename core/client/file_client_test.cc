// FileClient end to end on the manual cluster: three meta nodes (Raft with the namespace),
// two coordinators over fake shards, and a client node running the NamespaceSession, the
// ChunkSession and the FileClient.
#include "core/client/file_client.h"

#include <gtest/gtest.h>

#include "core/kv/roles.h"
#include "core/meta/roles.h"
#include "core/placement/ring.h"
#include "core/runtime/manual_runtime.h"
#include "core/runtime/service.h"
#include "core/storage/chunk_service.h"
#include "core/storage/testing/fake_shards.h"
#include "core/wire/message_types.h"

namespace cairn::client {
namespace {

using std::chrono::milliseconds;
constexpr NodeId kClient = 10;
const std::vector<NodeId> kMeta = {1, 2, 3};
const std::vector<NodeId> kCoordinators = {21, 22};

std::string bytes_of(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (char& c : s) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }
  return s;
}

std::shared_ptr<const placement::PlacementPolicy> ring_of(int nodes) {
  placement::Membership m;
  m.epoch = 1;
  for (int i = 1; i <= nodes; ++i) m.nodes.push_back({static_cast<NodeId>(100 + i), "z", "r", 1});
  return std::make_shared<placement::Ring>(std::move(*placement::Ring::build(m, {})));
}

class Cluster {
 public:
  explicit Cluster(FileClientOptions options = small_chunks()) : cluster_(7) {
    for (NodeId id : kMeta) start_meta(id);
    ManualRuntime& store_rt = cluster_.add_node(50);
    shards_ = std::make_unique<storage::testing::FakeShards>(store_rt);
    for (NodeId id : kCoordinators) {
      ManualRuntime& rt = cluster_.add_node(id);
      coordinators_[id] = std::make_unique<storage::Coordinator>(rt, *shards_, ring_of(5),
                                                                 storage::CoordinatorOptions{});
      services_[id] = std::make_unique<storage::ChunkService>(rt, *coordinators_[id]);
      cluster_.set_handler(id, [this, id](NodeId from, const Message& m) {
        ++chunk_requests_;
        services_[id]->on_message(from, m);
      });
    }
    ManualRuntime& rt = cluster_.add_node(kClient);
    raft::LeaderSessionOptions ns;
    ns.attempt_timeout = milliseconds(300);
    ns.max_attempts = 60;
    ns_ = std::make_unique<meta::NamespaceSession>(rt, kMeta, 4242, ns);
    storage::ChunkSessionOptions co;
    co.attempt_timeout = milliseconds(500);
    chunks_ = std::make_unique<storage::ChunkSession>(rt, kCoordinators, co);
    client_ = std::make_unique<FileClient>(rt, *ns_, *chunks_, options);
    cluster_.set_handler(kClient, [this](NodeId from, const Message& m) {
      if (m.type == cairn::wire::kNsResponse) ns_->on_response(from, m);
      if (m.type == cairn::wire::kChunkResponse) chunks_->on_response(from, m);
    });
  }

  static FileClientOptions small_chunks() {
    FileClientOptions o;
    o.chunk_bytes = 64 << 10;
    o.window = 2;
    o.cache_bytes = 1 << 20;
    o.inline_bytes = 0;  // every file in chunks; inline files are tested on their own
    return o;
  }

  absl::StatusOr<PutResult> put(const std::string& path, const std::string& bytes,
                                PutOptions options = {},
                                std::vector<Progress>* progress = nullptr) {
    std::optional<absl::StatusOr<PutResult>> out;
    client_->put(
        path, std::make_shared<MemorySource>(Payload(bytes)), options,
        [progress](const Progress& p) {
          if (progress) progress->push_back(p);
        },
        [&](auto r) { out = std::move(r); });
    run_until([&] { return out.has_value(); });
    return *out;
  }

  absl::StatusOr<std::string> get(const std::string& path, uint64_t version = 0,
                                  uint64_t offset = 0, uint64_t length = FileClient::kToEnd) {
    std::optional<absl::StatusOr<meta::wire::Manifest>> out;
    std::string got;
    client_->get(
        path, version, offset, length,
        [&](const Payload& piece) {
          got.append(piece.view());
          return absl::OkStatus();
        },
        nullptr, [&](auto r) { out = std::move(r); });
    run_until([&] { return out.has_value(); });
    if (!out->ok()) return out->status();
    return got;
  }

  absl::StatusOr<meta::wire::NsResult> query(meta::wire::NsQuery q) {
    std::optional<absl::StatusOr<meta::wire::NsResult>> out;
    ns_->query(std::move(q), [&](auto r) { out = std::move(r); });
    run_until([&] { return out.has_value(); });
    return *out;
  }

  absl::StatusOr<meta::wire::NsResult> command(meta::wire::NsCommand c) {
    std::optional<absl::StatusOr<meta::wire::NsResult>> out;
    ns_->command(std::move(c), [&](auto r) { out = std::move(r); });
    run_until([&] { return out.has_value(); });
    return *out;
  }

  absl::StatusOr<meta::wire::NsResult> list(const std::string& dir) {
    meta::wire::NsQuery q;
    q.mutable_list()->set_path(dir);
    return query(std::move(q));
  }

  void run_until(const std::function<bool()>& done) {
    for (int i = 0; i < 600'000 && !done(); ++i) cluster_.advance(milliseconds(1));
    ASSERT_TRUE(done()) << "no answer within 600 s of simulated time";
  }

  // The meta node that leads, once one does.
  NodeId leader() {
    NodeId found = kNoNode;
    run_until([&] {
      for (NodeId id : kMeta) {
        if (raft_[id] != nullptr && raft_[id]->is_leader()) found = id;
      }
      return found != kNoNode;
    });
    return found;
  }

  void crash_meta(NodeId id) {
    nodes_.erase(id);
    raft_[id] = nullptr;
    cluster_.crash(id);
  }
  void restart_meta(NodeId id) {
    cluster_.restart(id);
    start_meta(id);
  }

  ManualCluster& cluster() { return cluster_; }
  FileClient& client() { return *client_; }
  int chunk_requests() const { return chunk_requests_; }
  storage::testing::FakeShards& shards() { return *shards_; }

 private:
  void start_meta(NodeId id) {
    ManualRuntime& rt = raft_.contains(id) ? cluster_.node(id) : cluster_.add_node(id);
    auto node = std::make_unique<Node>(rt);
    kv::MetaOptions o;
    o.raft.tick = milliseconds(10);
    raft::RaftServiceConfig config = o.raft.to_config(kMeta);
    // The ring's storage nodes (ring_of) and the meta nodes, for RegisterNode's check.
    meta::NodeRoster roster{.storage = {101, 102, 103, 104, 105}, .meta = kMeta};
    ASSERT_TRUE(meta::install(*node, std::move(config), o, std::move(roster)).ok());
    raft_[id] = node->find<raft::RaftService>();
    node->start();
    cluster_.set_handler(id,
                         [n = node.get()](NodeId from, const Message& m) { n->deliver(from, m); });
    nodes_[id] = std::move(node);
  }

  ManualCluster cluster_;
  std::map<NodeId, std::unique_ptr<Node>> nodes_;
  std::map<NodeId, raft::RaftService*> raft_;
  std::unique_ptr<storage::testing::FakeShards> shards_;
  std::map<NodeId, std::unique_ptr<storage::Coordinator>> coordinators_;
  std::map<NodeId, std::unique_ptr<storage::ChunkService>> services_;
  std::unique_ptr<meta::NamespaceSession> ns_;
  std::unique_ptr<storage::ChunkSession> chunks_;
  std::unique_ptr<FileClient> client_;
  int chunk_requests_ = 0;
};

// How `cairn node drain` reaches the registry: a client's RegisterNode is checked against
// the configured members, and the nodes query counts the shards placed on each node.
TEST(FileClient, AClientRegistersOnlyStorageNodesAndSeesTheirShards) {
  Cluster c;
  ASSERT_TRUE(c.put("/f", bytes_of(300 << 10, 7)).ok());
  auto register_as = [&](uint32_t id, meta::wire::NodeState state) {
    meta::wire::NsCommand cmd;
    cmd.mutable_register_node()->mutable_node()->set_id(id);
    cmd.mutable_register_node()->mutable_node()->set_state(state);
    return c.command(std::move(cmd));
  };
  auto unknown = register_as(9, meta::wire::NODE_DRAINING);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound) << unknown.status();
  EXPECT_NE(unknown.status().message().find("node 9"), std::string_view::npos);
  auto meta_only = register_as(kMeta[1], meta::wire::NODE_DRAINING);
  EXPECT_EQ(meta_only.status().code(), absl::StatusCode::kInvalidArgument) << meta_only.status();
  auto drained = register_as(103, meta::wire::NODE_DRAINING);
  ASSERT_TRUE(drained.ok()) << drained.status();
  EXPECT_EQ(drained->epoch(), 1u);

  meta::wire::NsQuery q;
  q.mutable_nodes();
  auto nodes = c.query(std::move(q));
  ASSERT_TRUE(nodes.ok()) << nodes.status();
  ASSERT_EQ(nodes->nodes_size(), 1);  // the refused ids left nothing behind
  EXPECT_EQ(nodes->nodes(0).id(), 103u);
  EXPECT_EQ(nodes->nodes(0).state(), meta::wire::NODE_DRAINING);
  uint64_t shards = 0;
  uint32_t previous = 0;
  for (const auto& p : nodes->node_shards()) {
    EXPECT_TRUE(p.node() >= 101 && p.node() <= 105) << "a shard on n" << p.node();
    EXPECT_GT(p.node(), previous) << "node_shards out of node order";
    previous = p.node();
    shards += p.shards();
  }
  meta::wire::NsQuery g;
  g.mutable_get_file()->set_path("/f");
  auto file = c.query(std::move(g));
  ASSERT_TRUE(file.ok()) << file.status();
  uint64_t placed = 0;
  for (const auto& layout : file->manifest().chunks()) placed += layout.shards_size();
  EXPECT_GT(placed, 0u);
  EXPECT_EQ(shards, placed);

  auto undrained = register_as(103, meta::wire::NODE_UP);
  ASSERT_TRUE(undrained.ok()) << undrained.status();
  EXPECT_EQ(undrained->epoch(), 2u);
}

TEST(FileClient, FilesOfEverySizeReadBackByteIdentical) {
  Cluster c;
  for (size_t size : {size_t{0}, size_t{1}, size_t{65535}, size_t{65536}, size_t{300'001}}) {
    const std::string path = "/f" + std::to_string(size);
    const std::string data = bytes_of(size, static_cast<uint32_t>(size));
    auto put = c.put(path, data);
    ASSERT_TRUE(put.ok()) << path << ": " << put.status();
    EXPECT_EQ(put->chunks, (size + (64 << 10) - 1) / (64 << 10));
    EXPECT_EQ(put->entry.size_bytes(), size);
    auto got = c.get(path);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, data) << path;
  }
  auto ls = c.list("/");
  ASSERT_TRUE(ls.ok()) << ls.status();
  EXPECT_EQ(ls->entries_size(), 5);
}

TEST(FileClient, RangesTouchOnlyTheirBytes) {
  Cluster c;
  const std::string data = bytes_of(500'000, 3);
  ASSERT_TRUE(c.put("/r", data).ok());
  for (auto [off, len] : std::vector<std::pair<uint64_t, uint64_t>>{
           {0, 1}, {65535, 2}, {100'000, 200'000}, {499'999, 1}, {499'999, 100}, {500'000, 10}}) {
    auto got = c.get("/r", 0, off, len);
    ASSERT_TRUE(got.ok()) << off << ": " << got.status();
    EXPECT_EQ(*got, data.substr(off, len)) << off;
  }
  auto past = c.get("/r", 0, 500'001, 1);
  EXPECT_TRUE(absl::IsOutOfRange(past.status())) << past.status();
}

TEST(FileClient, SameContentTwiceSendsNoChunkBytes) {
  Cluster c;
  const std::string data = bytes_of(400'000, 9);
  auto first = c.put("/a", data);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->chunks_sent, first->chunks);
  const int requests = c.chunk_requests();
  auto second = c.put("/b", data);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->chunks_sent, 0u);
  EXPECT_EQ(second->bytes_sent, 0u);
  EXPECT_EQ(c.chunk_requests(), requests);
  EXPECT_EQ(c.get("/b").value(), data);
}

TEST(FileClient, AnEditedFileSendsOnlyChangedChunksWithContentDefinedChunking) {
  FileClientOptions o = Cluster::small_chunks();
  o.cdc = CdcParams{.min_bytes = 2048, .avg_bytes = 8192, .max_bytes = 32768};
  Cluster c(o);
  std::string data = bytes_of(600'000, 5);
  auto first = c.put("/doc", data);
  ASSERT_TRUE(first.ok()) << first.status();
  data.insert(300'000, "an edit in the middle");
  auto second = c.put("/doc", data);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_GT(second->chunks, 20u);
  EXPECT_LE(second->chunks_sent, 3u) << "of " << second->chunks;
  EXPECT_EQ(c.get("/doc").value(), data);
}

TEST(FileClient, ConditionalWritesNeverOverwriteSilently) {
  Cluster c;
  auto v1 = c.put("/x", "one");
  ASSERT_TRUE(v1.ok());
  PutOptions absent;
  absent.condition = meta::wire::IF_ABSENT;
  EXPECT_TRUE(absl::IsAlreadyExists(c.put("/x", "two", absent).status()));
  PutOptions stale;
  stale.condition = meta::wire::IF_VERSION;
  stale.if_version = v1->entry.version() + 1000;
  EXPECT_TRUE(absl::IsFailedPrecondition(c.put("/x", "three", stale).status()));
  EXPECT_EQ(c.get("/x").value(), "one");
  PutOptions fresh = stale;
  fresh.if_version = v1->entry.version();
  auto v2 = c.put("/x", "four", fresh);
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_GT(v2->entry.version(), v1->entry.version());
  EXPECT_EQ(c.get("/x").value(), "four");
  EXPECT_EQ(c.get("/x", v1->entry.version()).value(), "one");  // older versions stay readable
}

TEST(FileClient, AFailedUploadCommitsNothing) {
  Cluster c;
  for (NodeId id : kCoordinators) c.cluster().crash(id);
  auto r = c.put("/lost", bytes_of(200'000, 1));
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();
  auto ls = c.list("/");
  ASSERT_TRUE(ls.ok());
  EXPECT_EQ(ls->entries_size(), 0);
  EXPECT_TRUE(absl::IsNotFound(c.get("/lost").status()));
}

TEST(FileClient, MissingParentsAndBadPathsAreClearErrors) {
  Cluster c;
  EXPECT_TRUE(absl::IsNotFound(c.put("/no/such/dir/f", "x").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(c.put("/a/../b", "x").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(c.put("relative", "x").status()));
  EXPECT_TRUE(absl::IsNotFound(c.get("/nothing").status()));
}

TEST(FileClient, AMetaLeaderCrashDuringWritesLosesNoAcknowledgedFile) {
  Cluster c;
  std::map<std::string, std::string> acked;
  for (int i = 0; i < 6; ++i) {
    if (i == 3) c.crash_meta(c.leader());
    const std::string path = "/w" + std::to_string(i);
    const std::string data = bytes_of(100'000 + i, i);
    auto r = c.put(path, data);
    ASSERT_TRUE(r.ok()) << path << ": " << r.status();
    acked[path] = data;
  }
  for (const auto& [path, data] : acked) EXPECT_EQ(c.get(path).value(), data) << path;
}

TEST(FileClient, ProgressCountsUpToTheFileSize) {
  Cluster c;
  std::vector<Progress> seen;
  ASSERT_TRUE(c.put("/p", bytes_of(300'000, 2), {}, &seen).ok());
  ASSERT_FALSE(seen.empty());
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GE(seen[i].done_bytes, seen[i - 1].done_bytes);
  EXPECT_EQ(seen.back().done_bytes, 300'000u);
  EXPECT_EQ(seen.back().total_bytes, 300'000u);
}

TEST(FileClient, WholeChunksReadAreServedFromTheCacheAfterwards) {
  Cluster c;
  const std::string data = bytes_of(200'000, 8);
  ASSERT_TRUE(c.put("/c", data).ok());
  ASSERT_EQ(c.get("/c").value(), data);
  EXPECT_GT(c.client().cached_bytes(), 0u);
  const int requests = c.chunk_requests();
  EXPECT_EQ(c.get("/c").value(), data);
  EXPECT_EQ(c.get("/c", 0, 70'000, 1000).value(), data.substr(70'000, 1000));
  EXPECT_EQ(c.chunk_requests(), requests);
}

TEST(FileClient, SmallFilesGoInlineInTheNamespaceAndSendNoChunk) {
  FileClientOptions o = Cluster::small_chunks();
  o.inline_bytes = 8 << 10;
  Cluster c(o);
  for (size_t size : {size_t{1}, size_t{4096}, size_t{8192}}) {
    const std::string path = "/s" + std::to_string(size);
    const std::string data = bytes_of(size, static_cast<uint32_t>(size));
    std::vector<Progress> seen;
    auto put = c.put(path, data, {}, &seen);
    ASSERT_TRUE(put.ok()) << path << ": " << put.status();
    EXPECT_EQ(put->chunks, 0u);
    EXPECT_EQ(put->chunks_sent, 0u);
    EXPECT_EQ(put->bytes_sent, size);
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(seen.back().done_bytes, size);
    EXPECT_EQ(c.get(path).value(), data);
    EXPECT_EQ(c.get(path, 0, size / 2, 3).value(), data.substr(size / 2, 3));
    EXPECT_EQ(c.get(path, 0, size, 5).value(), "");
    EXPECT_TRUE(absl::IsOutOfRange(c.get(path, 0, size + 1, 1).status()));
  }
  EXPECT_EQ(c.chunk_requests(), 0);
  // One byte over the threshold: chunks, as before.
  auto big = c.put("/big", bytes_of(8193, 1));
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(big->chunks, 1u);
  EXPECT_GT(c.chunk_requests(), 0);
  // An empty file has neither chunks nor inline bytes.
  auto empty = c.put("/empty", "");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(c.get("/empty").value(), "");
  // Kept versions of an inline file stay readable; conditions hold as for chunked files.
  auto v1 = c.put("/v", "first");
  ASSERT_TRUE(v1.ok());
  ASSERT_TRUE(c.put("/v", "second").ok());
  EXPECT_EQ(c.get("/v", v1->entry.version()).value(), "first");
  EXPECT_EQ(c.get("/v").value(), "second");
  PutOptions stale{.condition = meta::wire::IF_VERSION, .if_version = v1->entry.version()};
  EXPECT_TRUE(absl::IsFailedPrecondition(c.put("/v", "third", stale).status()));
  EXPECT_EQ(c.get("/v").value(), "second");
}

// The simulator's checks (runtime-sim/file_run.h) read NotFound from get as "no such file".
TEST(FileClient, AFileWhoseChunkIsGoneIsDataLossNotAMissingFile) {
  Cluster c;
  const std::string data = bytes_of(1000, 9);
  ASSERT_TRUE(c.put("/lost", data).ok());
  const cas::Digest chunk = cas::Digest::of(data);
  for (NodeId id = 101; id <= 105; ++id) c.shards().lose(id, chunk);
  auto got = c.get("/lost");
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(absl::IsDataLoss(got.status())) << got.status();
  EXPECT_TRUE(absl::IsNotFound(c.get("/never-written").status()));
}

}  // namespace
}  // namespace cairn::client
