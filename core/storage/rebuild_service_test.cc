// The rebuild request end to end on the manual cluster: storage nodes with real shard
// stores, node 9 asking node 6 to rebuild a shard that node 2 lost.
#include "core/storage/rebuild_service.h"

#include <gtest/gtest.h>

#include "core/cas/shard_store_testing.h"
#include "core/erasure/codec.h"
#include "core/storage/rebuild.pb.h"
#include "core/storage/testing/storage_harness.h"
#include "core/wire/message_types.h"

namespace cairn::storage {
namespace {

using cas::testing::bytes_of;
using testing::digest_of;

struct Cluster {
  Cluster() {
    harness.more_services = [this](NodeId id, testing::StorageNode& n) {
      auto& rt = harness.cluster().node(id);
      cas::ShardStore* store = n.store.get();
      if (id == kRecovering) {  // its rebuild service sees a store that never recovers
        recovering = std::make_unique<cas::ShardStore>(rt);
        store = recovering.get();
      }
      EXPECT_TRUE(n.node->add(std::make_unique<RebuildService>(rt, *n.client, *store)).ok());
      auto client = std::make_unique<RebuildClient>(rt, RebuildClientOptions{});
      clients[id] = client.get();
      EXPECT_TRUE(n.node->add(std::move(client)).ok());
    };
    for (NodeId id = 1; id <= 9; ++id) harness.up(id);
  }

  // An rs(3,2) chunk whose shard i is stored on node i + 1.
  ChunkLayout write(const std::string& bytes) {
    ChunkLayout l;
    l.chunk = digest_of(bytes);
    l.data_shards = 3;
    l.parity_shards = 2;
    l.shard_bytes = erasure_shard_bytes(3, bytes.size());
    std::vector<std::string> shards(5, std::string(l.shard_bytes, '\0'));
    for (size_t i = 0; i < bytes.size(); ++i)
      shards[i / l.shard_bytes][i % l.shard_bytes] = bytes[i];
    auto codec = erasure::make_reed_solomon(3, 2);
    std::vector<const uint8_t*> data;
    std::vector<uint8_t*> parity;
    for (int i = 0; i < 3; ++i) data.push_back(reinterpret_cast<const uint8_t*>(shards[i].data()));
    for (int i = 3; i < 5; ++i) parity.push_back(reinterpret_cast<uint8_t*>(shards[i].data()));
    (*codec)->encode(data, parity, l.shard_bytes);
    for (int i = 0; i < 5; ++i) {
      const auto node = static_cast<NodeId>(i + 1);
      l.shards.push_back({digest_of(shards[static_cast<size_t>(i)]), node});
      EXPECT_TRUE(harness.put(9, node, shards[static_cast<size_t>(i)]).ok());
    }
    EXPECT_TRUE(validate(l).ok());
    return l;
  }

  absl::Status rebuild(NodeId on, const ChunkLayout& l, std::vector<int> which) {
    std::optional<absl::Status> out;
    clients.at(9)->rebuild(on, l, which, [&](absl::Status st) { out = st; });
    EXPECT_FALSE(out.has_value());
    harness.run_until([&] { return out.has_value(); });
    return out.value_or(absl::InternalError("no answer"));
  }

  absl::StatusOr<std::vector<size_t>> audit(NodeId on, const std::vector<cas::Digest>& shards) {
    std::optional<absl::StatusOr<std::vector<size_t>>> out;
    clients.at(9)->audit(on, shards, [&](absl::StatusOr<std::vector<size_t>> r) { out = r; });
    EXPECT_FALSE(out.has_value());
    harness.run_until([&] { return out.has_value(); });
    return out.value_or(absl::InternalError("no answer"));
  }

  static constexpr NodeId kRecovering = 8;
  std::unique_ptr<cas::ShardStore> recovering;
  testing::StorageCluster harness;
  std::map<NodeId, RebuildClient*> clients;
};

TEST(RebuildService, ReplacementNodeRebuildsALostShardIntoItsStore) {
  Cluster c;
  auto l = c.write(bytes_of(700 << 10, 1));
  const std::string want = c.harness.get(9, 2, l.shards[1].digest).value();
  ASSERT_TRUE(c.harness.remove(9, 2, l.shards[1].digest).ok());
  ASSERT_TRUE(c.rebuild(6, l, {1}).ok());
  EXPECT_EQ(c.harness.get(9, 6, l.shards[1].digest).value(), want);
  EXPECT_EQ(c.clients.at(9)->pending(), 0u);
}

TEST(RebuildService, TooFewSurvivorsComeBackAsDataLoss) {
  Cluster c;
  auto l = c.write(bytes_of(300 << 10, 2));
  for (int i : {0, 1, 2}) {
    ASSERT_TRUE(
        c.harness.remove(9, static_cast<NodeId>(i + 1), l.shards[static_cast<size_t>(i)].digest)
            .ok());
  }
  const absl::Status st = c.rebuild(6, l, {0});
  EXPECT_TRUE(absl::IsDataLoss(st)) << st;
}

TEST(RebuildService, UnreadableOrBadRequestIsInvalidArgument) {
  Cluster c;
  auto l = c.write(bytes_of(100 << 10, 3));
  EXPECT_TRUE(absl::IsInvalidArgument(c.rebuild(6, l, {7})));
  std::optional<wire::RebuildResponse> got;
  c.harness.cluster().set_handler(8, [&](NodeId, const Message& m) {
    if (m.type == cairn::wire::kShardRebuildDone) got.emplace().ParseFromString(m.header);
  });
  Message junk;
  junk.type = cairn::wire::kShardRebuild;
  junk.header = "\xff\xff\xff";
  c.harness.cluster().node(8).send(6, junk);
  c.harness.run_until([&] { return got.has_value(); });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status().code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
}

TEST(RebuildService, NoAnswerWithinTheTimeoutIsUnavailable) {
  Cluster c;
  auto l = c.write(bytes_of(100 << 10, 4));
  c.harness.crash(6);
  const absl::Status st = c.rebuild(6, l, {0});
  EXPECT_TRUE(absl::IsUnavailable(st)) << st;
}

TEST(RebuildAudit, NamesTheShardsTheNodeLacksInOrder) {
  Cluster c;
  auto l = c.write(bytes_of(200 << 10, 5));
  // Node 2 holds shard 1 only; shard 0 lives on node 1.
  auto got = c.audit(2, {l.shards[0].digest, l.shards[1].digest, l.shards[2].digest});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, (std::vector<size_t>{0, 2}));
  ASSERT_TRUE(c.harness.remove(9, 2, l.shards[1].digest).ok());
  got = c.audit(2, {l.shards[0].digest, l.shards[1].digest});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, (std::vector<size_t>{0, 1}));
  got = c.audit(2, {});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->empty());
}

TEST(RebuildAudit, AStoreStillRecoveringIsUnavailableNotEmpty) {
  Cluster c;
  auto l = c.write(bytes_of(50 << 10, 6));
  auto got = c.audit(Cluster::kRecovering, {l.shards[0].digest});
  EXPECT_TRUE(absl::IsUnavailable(got.status())) << got.status();
}

TEST(RebuildAudit, TooManyShardsOrJunkIsInvalidArgument) {
  Cluster c;
  auto l = c.write(bytes_of(50 << 10, 7));
  std::vector<cas::Digest> many(RebuildService::kMaxAuditShards + 1, l.shards[0].digest);
  EXPECT_TRUE(absl::IsInvalidArgument(c.audit(1, many).status()));
  std::optional<wire::AuditResponse> answer;
  c.harness.cluster().set_handler(7, [&](NodeId, const Message& m) {
    if (m.type == cairn::wire::kShardAuditDone) answer.emplace().ParseFromString(m.header);
  });
  Message junk;
  junk.type = cairn::wire::kShardAudit;
  junk.header = "\xff\xff\xff";
  c.harness.cluster().node(7).send(1, junk);
  c.harness.run_until([&] { return answer.has_value(); });
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status().code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(answer->missing_size(), 0);
}

TEST(RebuildAudit, NoAnswerWithinTheTimeoutIsUnavailable) {
  Cluster c;
  auto l = c.write(bytes_of(50 << 10, 8));
  c.harness.crash(6);
  EXPECT_TRUE(absl::IsUnavailable(c.audit(6, {l.shards[0].digest}).status()));
}

}  // namespace
}  // namespace cairn::storage
