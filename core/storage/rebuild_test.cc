// Shard rebuild on a replacement node (core/storage/rebuild.h): a coordinator writes chunks
// onto fake storage nodes, shards are lost or damaged, and node 100 rebuilds them into its
// own shard store.
#include "core/storage/rebuild.h"

#include <gtest/gtest.h>

#include <optional>

#include "core/cas/shard_store_testing.h"
#include "core/runtime/manual_runtime.h"
#include "core/storage/coordinator.h"
#include "core/storage/testing/fake_shards.h"
#include "core/storage/testing/ring.h"

namespace cairn::storage {
namespace {

using cas::testing::bytes_of;
using cas::testing::digest_of;
using std::chrono::milliseconds;
using testing::FakeShards;

constexpr NodeId kSelf = 100;

using testing::ring_of;

struct Fixture {
  explicit Fixture(RebuilderOptions options = {}, bool mirrored = false)
      : cluster(1),
        rt(cluster.add_node(kSelf)),
        shards(rt),
        coordinator(rt, shards, ring_of(mirrored ? 12 : 6),
                    CoordinatorOptions{.mirror_pairs = mirrored}),
        store(rt, cas::ShardStoreOptions{}),
        rebuilder(rt, shards, store, options) {
    bool recovered = false;
    store.recover([&](auto r) { recovered = r.ok(); });
    cluster.advance(milliseconds(1));
    EXPECT_TRUE(recovered);
  }

  ChunkLayout put(const std::string& bytes, StorageMode mode, int k, int m) {
    WriteOptions o;
    o.mode = mode;
    o.data_shards = k;
    o.parity_shards = m;
    o.replicas = k + m;
    o.quorum = k + m;
    std::optional<absl::StatusOr<ChunkLayout>> out;
    coordinator.put_chunk(digest_of(bytes), Payload(bytes), o, [&](auto r) { out = r; });
    while (!out) cluster.advance(milliseconds(1));
    EXPECT_TRUE(out->ok()) << out->status();
    cluster.advance(milliseconds(10));
    return **out;
  }
  std::string shard(const ChunkLayout& l, int i) {
    const auto& p = l.shards[static_cast<size_t>(i)];
    return std::string(shards.node(p.node).shards.at(p.digest).view());
  }
  absl::Status rebuild(const ChunkLayout& l, std::vector<int> which, bool copy_first = false,
                       NodeId copy_from = kNoNode) {
    std::optional<absl::Status> out;
    rebuilder.rebuild(
        l, std::move(which), [&](absl::Status st) { out = st; }, copy_first, copy_from);
    EXPECT_FALSE(out.has_value()) << "answered inside the call";
    while (!out) cluster.advance(milliseconds(1));
    EXPECT_EQ(rebuilder.in_flight(), 0u);
    return *out;
  }
  absl::StatusOr<std::string> stored(const cas::Digest& d) {
    std::optional<absl::StatusOr<std::string>> out;
    store.get(d, [&](auto r) { out = r; });
    while (!out) cluster.advance(milliseconds(1));
    return *out;
  }

  ManualCluster cluster;
  ManualRuntime& rt;
  FakeShards shards;
  Coordinator coordinator;
  cas::ShardStore store;
  Rebuilder rebuilder;
};

TEST(Rebuild, LostDataShardIsRebuiltFromSurvivorsVerifiedAndStored) {
  Fixture f;
  auto l = f.put(bytes_of(3 << 20, 1), StorageMode::kErasure, 3, 2);
  const std::string want = f.shard(l, 1);
  f.shards.lose(l.shards[1].node, l.shards[1].digest);
  const uint64_t gets = f.shards.gets;
  ASSERT_TRUE(f.rebuild(l, {1}).ok());
  EXPECT_EQ(f.shards.gets - gets, 3u) << "exactly k survivors are read";
  EXPECT_EQ(f.stored(l.shards[1].digest).value(), want);
}

TEST(Rebuild, CopyFirstReadsOnlyTheShardFromItsNode) {
  Fixture f;
  auto l = f.put(bytes_of(3 << 20, 11), StorageMode::kErasure, 3, 2);
  const std::string want = f.shard(l, 2);
  const uint64_t gets = f.shards.gets;
  ASSERT_TRUE(f.rebuild(l, {2}, true).ok());
  EXPECT_EQ(f.shards.gets - gets, 1u) << "one read, from the node the layout names";
  EXPECT_EQ(f.stored(l.shards[2].digest).value(), want);
}

TEST(Rebuild, CopyFirstFallsBackToSurvivorsWhenTheCopyIsBad) {
  Fixture f;
  auto l = f.put(bytes_of(3 << 20, 12), StorageMode::kErasure, 3, 2);
  const std::string want = f.shard(l, 2);
  f.shards.node(l.shards[2].node).lying.insert(l.shards[2].digest);
  const uint64_t gets = f.shards.gets;
  ASSERT_TRUE(f.rebuild(l, {2}, true).ok());
  EXPECT_EQ(f.shards.gets - gets, 4u) << "the bad copy, then k survivors";
  EXPECT_EQ(f.stored(l.shards[2].digest).value(), want);
}

TEST(Rebuild, ParityAndDataShardsAreRebuiltTogether) {
  Fixture f;
  auto l = f.put(bytes_of(2 << 20, 2), StorageMode::kErasure, 3, 2);
  const std::string d0 = f.shard(l, 0);
  const std::string p4 = f.shard(l, 4);
  f.shards.lose(l.shards[0].node, l.shards[0].digest);
  f.shards.lose(l.shards[4].node, l.shards[4].digest);
  ASSERT_TRUE(f.rebuild(l, {4, 0}).ok());
  EXPECT_EQ(f.stored(l.shards[0].digest).value(), d0);
  EXPECT_EQ(f.stored(l.shards[4].digest).value(), p4);
}

TEST(Rebuild, CorruptOrLyingSurvivorsAreReplacedByOthers) {
  Fixture f;
  auto l = f.put(bytes_of(3 << 20, 3), StorageMode::kErasure, 3, 3);
  const std::string want = f.shard(l, 5);
  f.shards.lose(l.shards[5].node, l.shards[5].digest);
  f.shards.node(l.shards[0].node).corrupt.insert(l.shards[0].digest);
  f.shards.node(l.shards[1].node).lying.insert(l.shards[1].digest);
  ASSERT_TRUE(f.rebuild(l, {5}).ok());
  EXPECT_EQ(f.stored(l.shards[5].digest).value(), want);
}

TEST(Rebuild, FewerThanKSurvivorsIsDataLossWhenTooManyAreGone) {
  Fixture f;
  auto l = f.put(bytes_of(3 << 20, 4), StorageMode::kErasure, 3, 2);
  for (int i : {0, 1, 2})
    f.shards.lose(l.shards[static_cast<size_t>(i)].node, l.shards[static_cast<size_t>(i)].digest);
  const absl::Status st = f.rebuild(l, {0});
  EXPECT_TRUE(absl::IsDataLoss(st)) << st;
  EXPECT_TRUE(absl::IsNotFound(f.stored(l.shards[0].digest).status()));
}

TEST(Rebuild, FewerThanKSurvivorsIsUnavailableWhenSomeAreOutOfReach) {
  Fixture f;
  auto l = f.put(bytes_of(3 << 20, 5), StorageMode::kErasure, 3, 2);
  f.shards.lose(l.shards[0].node, l.shards[0].digest);
  f.shards.node(l.shards[1].node).down = true;
  f.shards.node(l.shards[2].node).down = true;
  const absl::Status st = f.rebuild(l, {0});
  EXPECT_TRUE(absl::IsUnavailable(st)) << st;
}

TEST(Rebuild, SurvivorsOnNodesHeldDownAreAskedOnlyWhenTheOthersAreNotEnough) {
  Fixture f;
  auto l = f.put(bytes_of(3 << 20, 15), StorageMode::kErasure, 3, 2);
  const std::string want = f.shard(l, 0);
  f.shards.lose(l.shards[0].node, l.shards[0].digest);
  const NodeId dead = l.shards[1].node;
  f.shards.node(dead).down = true;
  f.rebuilder.set_alive([dead](NodeId id) { return id != dead; });
  const Time start = f.rt.now();
  const uint64_t gets = f.shards.gets;
  ASSERT_TRUE(f.rebuild(l, {0}).ok());
  EXPECT_EQ(f.shards.gets - gets, 3u) << "shards 2, 3 and 4, never the dead node's";
  EXPECT_LT(f.rt.now() - start, f.shards.timeout) << "waited for the dead node";
  EXPECT_EQ(f.stored(l.shards[0].digest).value(), want);

  // With too few up, the node held down is asked too (it may be up after all).
  auto l2 = f.put(bytes_of(3 << 20, 16), StorageMode::kErasure, 3, 2);
  f.shards.lose(l2.shards[0].node, l2.shards[0].digest);
  f.shards.lose(l2.shards[1].node, l2.shards[1].digest);
  const NodeId slow = l2.shards[2].node;
  f.rebuilder.set_alive([slow](NodeId id) { return id != slow; });
  ASSERT_TRUE(f.rebuild(l2, {0}).ok());
}

TEST(Rebuild, ReplicaIsCopiedFromAnyIntactReplica) {
  Fixture f;
  const std::string data = bytes_of(5000, 6);
  auto l = f.put(data, StorageMode::kReplicated, 1, 2);
  ASSERT_EQ(l.code_name(), "rep(3)");
  f.shards.lose(l.shards[0].node, l.shards[0].digest);
  f.shards.node(l.shards[1].node).corrupt.insert(l.shards[1].digest);
  ASSERT_TRUE(f.rebuild(l, {0}).ok());
  EXPECT_EQ(f.stored(digest_of(data)).value(), data);
}

TEST(Rebuild, MalformedRequestsAreInvalidArgument) {
  Fixture f;
  auto l = f.put(bytes_of(1 << 20, 7), StorageMode::kErasure, 2, 1);
  EXPECT_TRUE(absl::IsInvalidArgument(f.rebuild(l, {})));
  EXPECT_TRUE(absl::IsInvalidArgument(f.rebuild(l, {1, 1})));
  EXPECT_TRUE(absl::IsInvalidArgument(f.rebuild(l, {3})));
  ChunkLayout bad = l;
  bad.shards.pop_back();
  EXPECT_TRUE(absl::IsInvalidArgument(f.rebuild(bad, {0})));
}

TEST(Rebuild, AMirroredCopyIsCopiedFromItsPartner) {
  Fixture f({}, true);
  auto l = f.put(bytes_of(3 << 20, 21), StorageMode::kErasure, 3, 2);
  ASSERT_TRUE(l.mirrored);
  const std::string want = f.shard(l, 2);  // slot 2: shard 1, first copy
  f.shards.lose(l.shards[2].node, l.shards[2].digest);
  const uint64_t gets = f.shards.gets;
  ASSERT_TRUE(f.rebuild(l, {2}, true, l.shards[3].node).ok());
  EXPECT_EQ(f.shards.gets - gets, 1u) << "one read, from the partner";
  EXPECT_EQ(f.stored(l.shards[2].digest).value(), want);
}

TEST(Rebuild, AMirroredShardWithBothCopiesLostComesFromTheOtherShardsEitherCopy) {
  Fixture f({}, true);
  auto l = f.put(bytes_of(3 << 20, 22), StorageMode::kErasure, 3, 2);
  const std::string want = f.shard(l, 2);
  for (int slot : {2, 3, 0}) f.shards.lose(l.shards[slot].node, l.shards[slot].digest);
  const uint64_t gets = f.shards.gets;
  // The partner copy is gone too: the copy fails, then shard 0 is read from its second copy.
  ASSERT_TRUE(f.rebuild(l, {2}, true, l.shards[3].node).ok());
  EXPECT_EQ(f.shards.gets - gets, 5u) << "the failed copy, shard 0 twice, shards 2 and 3";
  EXPECT_EQ(f.stored(l.shards[2].digest).value(), want);
  EXPECT_EQ(f.rt.metrics().counter("storage_copy_fallbacks").value(), 1);
  // A node holds one copy of a shard: both slots of shard 1 in one request are refused.
  EXPECT_TRUE(absl::IsInvalidArgument(f.rebuild(l, {2, 3})));
  EXPECT_TRUE(absl::IsInvalidArgument(f.rebuild(l, {10})));
}

TEST(Rebuild, BeyondMaxRebuildsIsUnavailable) {
  Fixture f(RebuilderOptions{1});
  auto l = f.put(bytes_of(1 << 20, 8), StorageMode::kErasure, 2, 1);
  std::optional<absl::Status> first, second;
  f.rebuilder.rebuild(l, {0}, [&](absl::Status st) { first = st; });
  f.rebuilder.rebuild(l, {1}, [&](absl::Status st) { second = st; });
  while (!first || !second) f.cluster.advance(milliseconds(1));
  EXPECT_TRUE(first->ok()) << *first;
  EXPECT_TRUE(absl::IsUnavailable(*second)) << *second;
}

}  // namespace
}  // namespace cairn::storage
