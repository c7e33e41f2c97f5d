#include "core/storage/coordinator.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <numeric>
#include <optional>
#include <random>
#include <set>

#include "core/base/test_bytes.h"
#include "core/cas/shard_store_testing.h"
#include "core/placement/ring.h"
#include "core/runtime/manual_runtime.h"
#include "core/storage/testing/coordinator_fixture.h"

namespace cairn::storage {
namespace {

using cas::testing::bytes_of;
using cas::testing::digest_of;
using std::chrono::milliseconds;
using testing::FakeShards;

using testing::ring_of;
using testing::rs;
using testing::zone_of;

using Fixture = testing::CoordinatorFixture;

TEST(Coordinator, SmallChunksAreReplicatedOnDistinctNodesAndZones) {
  Fixture f(5);
  const std::string data = bytes_of(1000, 1);
  auto layout = f.put(data);
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->mode, StorageMode::kReplicated);
  EXPECT_EQ(layout->code_name(), "rep(3)");
  EXPECT_EQ(layout->epoch, 7u);
  std::set<NodeId> nodes;
  std::set<std::string> zones;
  for (const auto& s : layout->shards) {
    EXPECT_EQ(s.digest, digest_of(data));  // a replica is the chunk itself
    nodes.insert(s.node);
    zones.insert(zone_of(s.node));
  }
  EXPECT_EQ(nodes.size(), 3u);
  EXPECT_EQ(zones.size(), 3u);
  f.cluster.advance(milliseconds(10));
  for (const auto& s : layout->shards) EXPECT_TRUE(f.shards.holds(s.node, s.digest));
  EXPECT_EQ(f.read_all(*layout).value(), data);
  EXPECT_EQ(f.read(*layout, 10, 20).value(), data.substr(10, 20));
}

TEST(Coordinator, AReplicatedChunkIsReadFromThisNodesOwnReplicaWhenItHoldsOne) {
  const std::string data = bytes_of(1000, 21);
  Fixture outside(5);  // runs on a node outside the ring: reads the first replica
  auto layout = outside.put(data);
  ASSERT_TRUE(layout.ok()) << layout.status();
  outside.cluster.advance(milliseconds(10));
  EXPECT_EQ(outside.read_all(*layout).value(), data);
  EXPECT_EQ(outside.shards.node(layout->shards[0].node).gets, 1u);
  for (int i = 0; i < 3; ++i) {
    const NodeId holder = layout->shards[static_cast<size_t>(i)].node;
    Fixture f(5, {}, 1, holder);
    auto mine = f.put(data);
    ASSERT_TRUE(mine.ok()) << mine.status();
    ASSERT_EQ(mine->shards[static_cast<size_t>(i)].node, holder) << "placement ignores the writer";
    f.cluster.advance(milliseconds(10));
    EXPECT_EQ(f.read_all(*mine).value(), data);
    EXPECT_EQ(f.read(*mine, 10, 20).value(), data.substr(10, 20));
    EXPECT_EQ(f.shards.gets, 2u);
    EXPECT_EQ(f.shards.node(holder).gets, 2u) << "replica " << i << " on n" << holder;
    // This node's replica gone: another replica answers instead.
    f.shards.lose(holder, mine->shards[static_cast<size_t>(i)].digest);
    EXPECT_EQ(f.read_all(*mine).value(), data);
  }
}

TEST(Coordinator, LargeChunksAreErasureCodedAndReadBack) {
  Fixture f(5);
  const std::string data = bytes_of(3 << 20, 2);
  auto layout = f.put(data);
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->code_name(), "rs(3,2)");
  EXPECT_EQ(layout->shard_bytes, erasure_shard_bytes(3, data.size()));
  std::set<NodeId> nodes;
  for (const auto& s : layout->shards) nodes.insert(s.node);
  EXPECT_EQ(nodes.size(), 5u);
  EXPECT_TRUE(validate(*layout).ok());
  const uint64_t gets = f.shards.gets;
  EXPECT_EQ(f.read_all(*layout).value(), data);
  EXPECT_EQ(f.shards.gets - gets, 3u) << "a healthy read asks the data shards only";
}

TEST(Coordinator, ARangeReadTouchesOnlyTheShardsHoldingIt) {
  Fixture f(5);
  const std::string data = bytes_of(3 << 20, 3);
  auto layout = f.put(data, rs(3, 2));
  ASSERT_TRUE(layout.ok());
  const uint64_t sb = layout->shard_bytes;
  uint64_t gets = f.shards.gets;
  uint64_t served = f.shards.bytes_served;
  EXPECT_EQ(f.read(*layout, sb + 100, 5000).value(), data.substr(sb + 100, 5000));
  EXPECT_EQ(f.shards.gets - gets, 1u);
  EXPECT_EQ(f.shards.bytes_served - served, 5000u);
  gets = f.shards.gets;
  EXPECT_EQ(f.read(*layout, sb - 10, 30).value(), data.substr(sb - 10, 30));
  EXPECT_EQ(f.shards.gets - gets, 2u);
}

TEST(Coordinator, RangesAcrossShardsReuseBuffersButNeverOneAReaderStillHolds) {
  Fixture f(5);
  const std::string a = bytes_of(3 << 20, 4);
  const std::string b = bytes_of(3 << 20, 5);
  auto la = f.put(a, rs(3, 2));
  auto lb = f.put(b, rs(3, 2));
  ASSERT_TRUE(la.ok() && lb.ok());
  auto read_payload = [&](const ChunkLayout& l) {
    std::optional<absl::StatusOr<Payload>> out;
    f.coordinator.read_chunk(l, 0, l.chunk.size_bytes(), [&](auto r) { out = std::move(r); });
    while (!out) f.cluster.advance(milliseconds(1));
    return *std::move(out);
  };
  // A held answer keeps its buffer: the next read assembles elsewhere.
  absl::StatusOr<Payload> held = read_payload(*la);
  ASSERT_TRUE(held.ok());
  absl::StatusOr<Payload> other = read_payload(*lb);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(held->view(), a);
  EXPECT_EQ(other->view(), b);
  EXPECT_EQ(f.coordinator.reused_assembly_buffers(), 0u);
  // Once dropped, a buffer is filled again, with the new read's bytes only.
  held = absl::UnknownError("dropped");
  other = read_payload(*la);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->view(), a);
  EXPECT_EQ(f.coordinator.reused_assembly_buffers(), 1u);
  EXPECT_EQ(f.read(*lb, 100, (2 << 20)).value(), b.substr(100, 2 << 20));
}

TEST(Coordinator, BytesThatDoNotHashToTheDigestAreRefusedAndNothingIsStored) {
  Fixture f(5);
  const std::string data = bytes_of(5000, 4);
  std::string other = data;
  other[17] ^= 1;
  auto r = f.put_as(digest_of(other), data);
  EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();
  EXPECT_EQ(f.shards.puts, 0u);
  auto wrong_size = f.put_as(cas::Digest(digest_of(data).hash(), 4999), data);
  EXPECT_TRUE(absl::IsInvalidArgument(wrong_size.status())) << wrong_size.status();
}

TEST(Coordinator, ADownNodeLeavesTheWriteIncompleteUntilItReturns) {
  CoordinatorOptions o;
  o.retry_backoff = milliseconds(100);
  Fixture f(5, o);
  f.shards.node(4).down = true;
  f.coordinator.set_alive([&](NodeId id) { return !f.shards.node(id).down; });
  const std::string data = bytes_of(1 << 20, 5);
  auto layout = f.put(data, rs(3, 2));
  ASSERT_TRUE(layout.ok()) << layout.status();  // quorum k + 1 = 4 of 5
  ASSERT_EQ(f.coordinator.incomplete().size(), 1u);
  EXPECT_EQ(f.coordinator.incomplete()[0].second.size(), 1u);
  EXPECT_EQ(f.read_all(*layout).value(), data);
  f.shards.node(4).down = false;
  f.cluster.advance(std::chrono::seconds(5));
  EXPECT_TRUE(f.coordinator.incomplete().empty());
  for (const auto& s : layout->shards) EXPECT_TRUE(f.shards.holds(s.node, s.digest));
}

TEST(Coordinator, AShardWhoseNodeFailsBeforeTheAckMovesToAnotherNode) {
  Fixture f(6);
  const std::string data = bytes_of(1 << 20, 6);
  // Not known to be down: its put times out, and the shard moves on.
  for (NodeId id = 1; id <= 6; ++id) f.shards.node(id).full = id == 2;
  auto layout = f.put(data, rs(3, 2));
  ASSERT_TRUE(layout.ok()) << layout.status();
  std::set<NodeId> nodes;
  for (const auto& s : layout->shards) {
    EXPECT_NE(s.node, 2u);
    nodes.insert(s.node);
  }
  EXPECT_EQ(nodes.size(), 5u);
  f.cluster.advance(milliseconds(100));
  EXPECT_TRUE(f.coordinator.incomplete().empty());
}

TEST(Coordinator, ImpossibleStorageModesAreInvalidArgument) {
  Fixture f(5);
  const std::string data = bytes_of(5000, 14);
  EXPECT_TRUE(absl::IsInvalidArgument(f.put(data, rs(3, 0)).status()));  // RS needs parity
  EXPECT_TRUE(absl::IsInvalidArgument(f.put(data, rs(30, 3)).status()));
  WriteOptions q = rs(3, 2);
  q.quorum = 6;
  EXPECT_TRUE(absl::IsInvalidArgument(f.put(data, q).status()));
  q.quorum = 2;
  EXPECT_TRUE(absl::IsInvalidArgument(f.put(data, q).status()));
  EXPECT_EQ(f.shards.puts, 0u);
  EXPECT_EQ(f.coordinator.in_flight(), 0u);
}

TEST(Coordinator, AWriteThatCannotReachItsQuorumFails) {
  Fixture f(5);
  for (NodeId id = 1; id <= 5; ++id) f.shards.node(id).full = true;
  auto full = f.put(bytes_of(1 << 20, 7), rs(3, 2));
  EXPECT_TRUE(absl::IsResourceExhausted(full.status())) << full.status();
  for (NodeId id = 1; id <= 5; ++id) {
    f.shards.node(id).full = false;
    f.shards.node(id).down = id <= 2;
  }
  auto down = f.put(bytes_of(1 << 20, 8), rs(3, 2));
  EXPECT_TRUE(absl::IsUnavailable(down.status())) << down.status();
  EXPECT_EQ(f.coordinator.in_flight(), 0u);
}

TEST(Coordinator, ALostDataShardIsRebuiltFromParityWithoutAFullDecode) {
  Fixture f(5);
  const std::string data = bytes_of(2 << 20, 9);
  auto layout = f.put(data, rs(3, 2));
  ASSERT_TRUE(layout.ok());
  f.cluster.advance(milliseconds(10));
  f.shards.lose(layout->shards[1].node, layout->shards[1].digest);
  f.shards.node(layout->shards[0].node).corrupt.insert(layout->shards[0].digest);
  const uint64_t gets = f.shards.gets;
  EXPECT_EQ(f.read_all(*layout).value(), data);
  EXPECT_EQ(f.shards.gets - gets, 5u);
  const uint64_t sb = layout->shard_bytes;
  EXPECT_EQ(f.read(*layout, sb + 5, 100).value(), data.substr(sb + 5, 100));
}

TEST(Coordinator, MoreLossesThanParityIsDataLossAndUnreachableIsUnavailable) {
  Fixture f(5);
  const std::string data = bytes_of(2 << 20, 10);
  auto layout = f.put(data, rs(3, 2));
  ASSERT_TRUE(layout.ok());
  f.cluster.advance(milliseconds(10));
  f.shards.node(layout->shards[3].node).down = true;
  f.shards.node(layout->shards[4].node).down = true;
  f.shards.lose(layout->shards[0].node, layout->shards[0].digest);
  auto unreachable = f.read_all(*layout);
  EXPECT_TRUE(absl::IsUnavailable(unreachable.status())) << unreachable.status();
  for (int i : {3, 4}) {
    f.shards.node(layout->shards[i].node).down = false;
    f.shards.lose(layout->shards[i].node, layout->shards[i].digest);
  }
  auto lost = f.read_all(*layout);
  EXPECT_TRUE(absl::IsDataLoss(lost.status())) << lost.status();
}

TEST(Coordinator, ASlowShardIsHedged) {
  CoordinatorOptions o;
  o.hedge_initial = milliseconds(20);
  Fixture f(5, o);
  const std::string data = bytes_of(1 << 20, 11);
  auto layout = f.put(data, rs(3, 2));
  ASSERT_TRUE(layout.ok());
  f.cluster.advance(milliseconds(10));
  f.shards.node(layout->shards[2].node).latency = std::chrono::seconds(2);
  const Time start = f.cluster.now();
  EXPECT_EQ(f.read_all(*layout).value(), data);
  EXPECT_LT(f.cluster.now() - start, milliseconds(100));
  EXPECT_EQ(f.rt.metrics().counter("storage_hedged_reads").value(), 1);
}

TEST(Coordinator, AReadWithNoOtherPlaceToAskIsNeverHedged) {
  CoordinatorOptions o;
  o.hedge_initial = milliseconds(20);
  Fixture f(5, o);
  WriteOptions one;
  one.mode = StorageMode::kReplicated;
  one.replicas = 1;
  one.quorum = 1;
  const std::string data = bytes_of(5000, 14);
  auto layout = f.put(data, one);
  ASSERT_TRUE(layout.ok()) << layout.status();
  f.cluster.advance(milliseconds(10));
  f.shards.node(layout->shards[0].node).latency = milliseconds(200);
  EXPECT_EQ(f.read_all(*layout).value(), data);
  EXPECT_EQ(f.rt.metrics().counter("storage_hedged_reads").value(), 0);
}

TEST(Coordinator, AShardServingWrongBytesNeverReachesTheReader) {
  Fixture f(5);
  const std::string data = bytes_of(2 << 20, 12);
  auto layout = f.put(data, rs(3, 2));
  ASSERT_TRUE(layout.ok());
  f.cluster.advance(milliseconds(10));
  f.shards.node(layout->shards[1].node).lying.insert(layout->shards[1].digest);
  auto r = f.read_all(*layout);
  EXPECT_TRUE(absl::IsDataLoss(r.status())) << "served wrong bytes";
}

TEST(Coordinator, ChunksThatAreALengthOnlyTravelAsLengths) {
  // The simulator's seam for payloads without bytes: shards are lengths, named from the
  // chunk's digest, and a read answers the range's length.
  Fixture f(5);
  const cas::Digest d(digest_of("a name").hash(), 3 << 20);
  Payload virtual_chunk;
  virtual_chunk.virtual_bytes = d.size_bytes();
  std::optional<absl::StatusOr<ChunkLayout>> put;
  f.coordinator.put_chunk(d, virtual_chunk, rs(3, 2), [&](auto r) { put = std::move(r); });
  while (!put) f.cluster.advance(milliseconds(1));
  ASSERT_TRUE(put->ok()) << put->status();
  std::set<cas::Digest> names;
  for (const ShardPlace& s : (*put)->shards) names.insert(s.digest);
  EXPECT_EQ(names.size(), 5u);
  std::optional<absl::StatusOr<Payload>> got;
  f.coordinator.read_chunk(**put, 1000, 5000, [&](auto r) { got = std::move(r); });
  while (!got) f.cluster.advance(milliseconds(1));
  ASSERT_TRUE(got->ok()) << got->status();
  EXPECT_EQ((*got)->virtual_bytes, 5000u);
  EXPECT_TRUE((*got)->view().empty());
}

TEST(Coordinator, RangesPastTheEndAreOutOfRange) {
  Fixture f(5);
  const std::string data = bytes_of(1000, 13);
  auto layout = f.put(data);
  ASSERT_TRUE(layout.ok());
  EXPECT_TRUE(absl::IsOutOfRange(f.read(*layout, 990, 11).status()));
  EXPECT_TRUE(absl::IsOutOfRange(f.read(*layout, 1001, 0).status()));
  EXPECT_EQ(f.read(*layout, 1000, 0).value(), "");
  ChunkLayout broken = *layout;
  broken.shards.pop_back();
  EXPECT_TRUE(absl::IsInvalidArgument(f.read_all(broken).status()));
}

// A chunk smaller than its code's k shards leaves data shards holding none of its bytes: a
// read touches only the shard that holds them, so it succeeds with every other shard
// gone (more than m), as a range within an intact data shard does.
TEST(Coordinator, AChunkSmallerThanKShardsReadsBackWithTheShardsHoldingNoneOfItGone) {
  Fixture f(3);
  const std::string data = "x";
  auto layout = f.put(data, rs(2, 1));
  ASSERT_TRUE(layout.ok()) << layout.status();
  f.cluster.advance(milliseconds(10));
  f.spoil(layout->shards[1], /*lose=*/true);   // data shard 1: padding only
  f.spoil(layout->shards[2], /*lose=*/false);  // parity, corrupt
  auto whole = f.read_all(*layout);
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(*whole, data);
  f.spoil(layout->shards[0], /*lose=*/true);  // now the byte itself is gone
  EXPECT_TRUE(absl::IsDataLoss(f.read_all(*layout).status()));
}

// For any k + m layout and any set of at most m lost or corrupt shards, the chunk (and any
// range of it) reads back byte-identical; with more, the answer is DataLoss, never bytes,
// unless none of the data shards holding the range is gone (the read touches only those).
// Seed 3762455197382791771 found the oracle wrong about a chunk smaller than k shards.
RC_GTEST_PROP(CoordinatorProperty, AtMostMLostShardsReadBackIdentical, ()) {
  const int k = *rc::gen::inRange(1, 7);
  const bool replicated = *rc::gen::arbitrary<bool>();
  const int m = *rc::gen::inRange(replicated ? 0 : 1, 5);
  const int nodes = k + m + *rc::gen::inRange(0, 3);
  const auto size = *rc::gen::inRange<size_t>(0, 300000);
  Fixture f(nodes, {}, *rc::gen::arbitrary<uint32_t>());
  const std::string data = bytes_of(size, *rc::gen::arbitrary<uint32_t>());
  WriteOptions w = rs(k, m);
  if (replicated) {
    w = {};
    w.mode = StorageMode::kReplicated;
    w.replicas = m + 1;
  }
  w.quorum = (replicated ? 1 : k) + m;  // all shards: the faults below are the only ones
  auto layout = f.put(data, w);
  RC_ASSERT(layout.ok());
  f.cluster.advance(milliseconds(10));
  const int n = layout->total_shards();
  // Which shards go bad: a random `count` of them, within the parity half the time.
  const int count = *rc::gen::arbitrary<bool>() ? *rc::gen::inRange(0, n - layout->data_shards + 1)
                                                : *rc::gen::inRange(0, n + 1);
  std::vector<int> bad(static_cast<size_t>(n));
  std::iota(bad.begin(), bad.end(), 0);
  std::shuffle(bad.begin(), bad.end(), std::mt19937(*rc::gen::arbitrary<uint32_t>()));
  bad.resize(static_cast<size_t>(count));
  for (int i : bad) f.spoil(layout->shards[static_cast<size_t>(i)], *rc::gen::arbitrary<bool>());
  const uint64_t offset = size == 0 ? 0 : *rc::gen::inRange<uint64_t>(0, size);
  const uint64_t length = *rc::gen::inRange<uint64_t>(0, size - offset + 1);
  f.check_reads(*layout, data, offset, length, std::set<int>(bad.begin(), bad.end()));
}

}  // namespace
}  // namespace cairn::storage
