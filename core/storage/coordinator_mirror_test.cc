// The coordinator with mirror pairs: every shard written to the two nodes of a pair, either
// copy serving it, the code used only when both copies of a shard are gone.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

#include "core/base/test_bytes.h"
#include "core/cas/shard_store_testing.h"
#include "core/placement/mirror.h"
#include "core/storage/testing/coordinator_fixture.h"

namespace cairn::storage {
namespace {

using cas::testing::bytes_of;
using cas::testing::digest_of;
using std::chrono::milliseconds;
using testing::FakeShards;
using testing::ring_of;
using testing::rs;

CoordinatorOptions mirrored() {
  CoordinatorOptions o;
  o.mirror_pairs = true;
  return o;
}

struct Fixture : testing::CoordinatorFixture {
  explicit Fixture(int nodes, CoordinatorOptions options = mirrored(), uint64_t seed = 1)
      : CoordinatorFixture(nodes, options, seed) {}
  void lose(const ChunkLayout& l, int shard, int copy) {
    shards.lose(l.copy(shard, copy).node, l.copy(shard, copy).digest);
  }
  // A chunk of rs(3,2) whose shards `both` have lost both copies.
  std::pair<std::string, ChunkLayout> doubly_lost(uint32_t seed, std::initializer_list<int> both);
};

std::pair<std::string, ChunkLayout> Fixture::doubly_lost(uint32_t seed,
                                                         std::initializer_list<int> both) {
  std::string data = bytes_of(3 << 20, seed);
  auto layout = put(data, rs(3, 2));
  EXPECT_TRUE(layout.ok()) << layout.status();
  cluster.advance(milliseconds(10));
  for (int shard : both) {
    lose(*layout, shard, 0);
    lose(*layout, shard, 1);
  }
  return {std::move(data), *layout};
}

TEST(CoordinatorMirror, EveryShardIsWrittenToBothNodesOfAPair) {
  Fixture f(12);
  const std::string data = bytes_of(2 << 20, 1);
  auto layout = f.put(data, rs(3, 2));
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_TRUE(layout->mirrored);
  ASSERT_EQ(layout->slots(), 10);
  EXPECT_TRUE(validate(*layout).ok());
  auto pairs = placement::mirror_over(f.ring->topology(), f.ring->topology());
  ASSERT_TRUE(pairs.ok());
  std::set<NodeId> nodes;
  f.cluster.advance(milliseconds(10));
  for (int i = 0; i < layout->total_shards(); ++i) {
    const ShardPlace& a = layout->copy(i, 0);
    const ShardPlace& b = layout->copy(i, 1);
    EXPECT_EQ(a.digest, b.digest);
    EXPECT_EQ((*pairs)->partner(a.node), b.node) << "shard " << i << " is not on a pair";
    EXPECT_TRUE(f.shards.holds(a.node, a.digest));
    EXPECT_TRUE(f.shards.holds(b.node, b.digest));
    nodes.insert(a.node);
    nodes.insert(b.node);
  }
  EXPECT_EQ(nodes.size(), 10u);
  const uint64_t gets = f.shards.gets;
  EXPECT_EQ(f.read_all(*layout).value(), data);
  EXPECT_EQ(f.shards.gets - gets, 3u) << "a healthy read asks one copy of each data shard";
  // Small chunks are mirrored replicas: rep(3) on three pairs.
  auto small = f.put(bytes_of(1000, 2));
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->code_name(), "rep(3)");
  EXPECT_EQ(small->slots(), 6);
}

TEST(CoordinatorMirror, APartnerServesALostCopyWithoutTheCode) {
  Fixture f(12);
  const std::string data = bytes_of(3 << 20, 3);
  auto layout = f.put(data, rs(3, 2));
  ASSERT_TRUE(layout.ok());
  f.cluster.advance(milliseconds(10));
  f.lose(*layout, 0, 0);
  f.shards.node(layout->copy(1, 0).node).corrupt.insert(layout->copy(1, 0).digest);
  const uint64_t gets = f.shards.gets;
  EXPECT_EQ(f.read_all(*layout).value(), data);
  EXPECT_EQ(f.shards.gets - gets, 5u) << "three data shards, two of them from the partner";
  EXPECT_EQ(f.rt.metrics().counter("storage_mirror_reads").value(), 2);
  // A down node's copies are asked of the partner first.
  f.shards.node(layout->copy(2, 0).node).down = true;
  f.coordinator.set_alive([&](NodeId id) { return id != layout->copy(2, 0).node; });
  const uint64_t before = f.shards.gets;
  const uint64_t sb = layout->shard_bytes;
  EXPECT_EQ(f.read(*layout, 2 * sb + 10, 100).value(), data.substr(2 * sb + 10, 100));
  EXPECT_EQ(f.shards.gets - before, 1u);
  EXPECT_EQ(f.rt.metrics().counter("storage_mirror_reads").value(), 3)
      << "shard 2, whose first copy is on the down node, is asked of its partner";
}

TEST(CoordinatorMirror, ASlowCopyIsHedgedToItsPartnerNotToTheCode) {
  CoordinatorOptions o = mirrored();
  o.hedge_initial = milliseconds(20);
  Fixture f(12, o);
  const std::string data = bytes_of(3 << 20, 9);
  auto layout = f.put(data, rs(3, 2));
  ASSERT_TRUE(layout.ok());
  f.cluster.advance(milliseconds(10));
  f.shards.node(layout->copy(1, 0).node).latency = std::chrono::seconds(2);
  const uint64_t gets = f.shards.gets;
  const Time start = f.cluster.now();
  EXPECT_EQ(f.read_all(*layout).value(), data);
  EXPECT_LT(f.cluster.now() - start, milliseconds(100));
  EXPECT_EQ(f.shards.gets - gets, 4u) << "three data shards and shard 1's partner, no parity";
  EXPECT_EQ(f.rt.metrics().counter("storage_mirror_reads").value(), 1);
}

TEST(CoordinatorMirror, AShardWithBothCopiesLostComesBackByTheCode) {
  Fixture f(12);
  const auto [data, layout] = f.doubly_lost(4, {0, 1});
  EXPECT_EQ(f.read_all(layout).value(), data);
  // A third shard gone in both copies is more than the code bears.
  f.lose(layout, 4, 0);
  f.lose(layout, 4, 1);
  auto lost = f.read_all(layout);
  EXPECT_TRUE(absl::IsDataLoss(lost.status())) << lost.status();
}

TEST(CoordinatorMirror, ACopyOnADownNodeIsUnavailableNotLost) {
  Fixture f(12);
  const auto [data, layout] = f.doubly_lost(5, {0, 1});
  f.lose(layout, 2, 0);
  f.shards.node(layout.copy(2, 1).node).down = true;  // it may come back
  auto r = f.read_all(layout);
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();
}

TEST(CoordinatorMirror, ADownNodeGivesItsSlotToTheNextNodeAndTheWriteCompletesLater) {
  Fixture f(12);
  const std::string data = bytes_of(2 << 20, 6);
  auto first = f.put(data, rs(3, 2));
  ASSERT_TRUE(first.ok());
  const NodeId down = first->copy(1, 1).node;
  f.coordinator.set_alive([&](NodeId id) { return id != down; });
  f.shards.node(down).down = true;
  const std::string other = bytes_of(2 << 20, 7);
  auto layout = f.put(other, rs(3, 2));
  ASSERT_TRUE(layout.ok()) << layout.status();
  f.cluster.advance(milliseconds(10));
  std::set<NodeId> nodes;
  for (const ShardPlace& p : layout->shards) {
    EXPECT_NE(p.node, down);
    EXPECT_TRUE(f.shards.holds(p.node, p.digest));
    nodes.insert(p.node);
  }
  EXPECT_EQ(nodes.size(), 10u);
  EXPECT_EQ(f.read_all(*layout).value(), other);
}

TEST(CoordinatorMirror, TooFewNodesForPairsIsUnavailableAndSaysWhy) {
  Fixture f(7);  // three pairs: rs(3,2) mirrored needs five
  auto r = f.put(bytes_of(2 << 20, 8), rs(3, 2));
  ASSERT_TRUE(absl::IsUnavailable(r.status())) << r.status();
  EXPECT_NE(r.status().message().find("mirrored needs 10 places in pairs"), std::string::npos)
      << r.status();
  EXPECT_EQ(f.coordinator.in_flight(), 0u);
}

// For any k + m and any lost or corrupt copies that leave at most m shards with no copy,
// the chunk and any range of it read back byte-identical; beyond, DataLoss (unless none of
// the data shards holding the range is gone), never wrong bytes.
RC_GTEST_PROP(CoordinatorMirrorProperty, AtMostMShardsWithBothCopiesLostReadBackIdentical, ()) {
  const int k = *rc::gen::inRange(1, 5);
  const int m = *rc::gen::inRange(1, 4);
  const int nodes = 2 * (k + m) + *rc::gen::inRange(0, 4);
  const auto size = *rc::gen::inRange<size_t>(1, 200000);
  Fixture f(nodes, mirrored(), *rc::gen::arbitrary<uint32_t>());
  const std::string data = bytes_of(size, *rc::gen::arbitrary<uint32_t>());
  WriteOptions w = rs(k, m);
  w.quorum = k + m;  // every copy stored: the faults below are the only ones
  auto layout = f.put(data, w);
  RC_ASSERT(layout.ok());
  f.cluster.advance(milliseconds(10));
  std::set<int> gone;  // shards with no copy left
  for (int i = 0; i < layout->total_shards(); ++i) {
    int bad = 0;
    for (int c = 0; c < 2; ++c) {
      if (*rc::gen::inRange(0, 3) != 0) continue;
      ++bad;
      f.spoil(layout->copy(i, c), *rc::gen::arbitrary<bool>());
    }
    if (bad == 2) gone.insert(i);
  }
  const uint64_t offset = *rc::gen::inRange<uint64_t>(0, size);
  const uint64_t length = *rc::gen::inRange<uint64_t>(0, size - offset + 1);
  f.check_reads(*layout, data, offset, length, gone);
}

}  // namespace
}  // namespace cairn::storage
