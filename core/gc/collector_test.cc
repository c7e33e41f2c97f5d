#include "core/gc/collector.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <optional>
#include <set>

#include "core/cas/shard_store_testing.h"
#include "core/runtime/manual_runtime.h"
#include "core/storage/testing/fake_shards.h"

namespace cairn::gc {
namespace {

using cas::testing::bytes_of;
using cas::testing::digest_of;
using std::chrono::milliseconds;
using std::chrono::seconds;
using storage::testing::FakeShards;

struct Fixture {
  explicit Fixture(CollectorOptions options = {.grace = seconds(60), .page = 3})
      : cluster(1), rt(cluster.add_node(100)), shards(rt) {
    collector.emplace(rt, shards, options, [this](NodeId n, const cas::Digest& d) {
      ++asked;
      return refs.contains({n, d});
    });
  }
  // Stores a shard on `node` now (the put touches it).
  cas::Digest store(NodeId node, uint64_t seed) {
    const std::string bytes = bytes_of(100 + seed, seed);
    bool done = false;
    shards.put(node, digest_of(bytes), Payload(bytes), [&](auto r) { done = r.ok(); });
    while (!done) cluster.advance(milliseconds(1));
    return digest_of(bytes);
  }
  SweepReport sweep(std::vector<NodeId> nodes) {
    std::optional<SweepReport> out;
    collector->sweep(std::move(nodes), [&](const SweepReport& r) { out = r; });
    EXPECT_FALSE(out.has_value()) << "finished inside sweep()";
    for (int i = 0; i < 100000 && !out; ++i) cluster.advance(milliseconds(1));
    EXPECT_TRUE(out.has_value()) << "the sweep did not finish";
    return out.value_or(SweepReport{});
  }

  ManualCluster cluster;
  ManualRuntime& rt;
  FakeShards shards;
  std::set<std::pair<NodeId, cas::Digest>> refs;
  uint64_t asked = 0;
  std::optional<Collector> collector;
};

TEST(Collector, DeletesOnlyUnreferencedIdleShardsOnEveryNode) {
  Fixture f;
  std::vector<cas::Digest> kept, dropped;
  for (uint64_t i = 0; i < 10; ++i) {
    for (NodeId n : {1, 2}) {
      const cas::Digest d = f.store(n, i * 10 + n);
      if (i % 2 == 0) {
        f.refs.insert({n, d});
        kept.push_back(d);
      } else {
        dropped.push_back(d);
      }
    }
  }
  f.cluster.advance(seconds(61));
  const SweepReport r = f.sweep({1, 2});
  EXPECT_EQ(r.listed, 20u);
  EXPECT_EQ(r.referenced, 10u);
  EXPECT_EQ(r.deleted, 10u);
  EXPECT_EQ(r.in_grace, 0u);
  EXPECT_TRUE(r.unreachable.empty());
  for (const auto& [n, d] : f.refs) EXPECT_TRUE(f.shards.holds(n, d)) << d.format();
  EXPECT_EQ(f.shards.node(1).shards.size() + f.shards.node(2).shards.size(), 10u);
}

TEST(Collector, AShardReferencedOnOneNodeIsGarbageOnAnother) {
  Fixture f;
  const cas::Digest d = f.store(1, 5);
  ASSERT_EQ(f.store(2, 5), d);  // the same bytes: a stale copy left on n2
  f.refs.insert({1, d});
  f.cluster.advance(seconds(61));
  const SweepReport r = f.sweep({1, 2});
  EXPECT_EQ(r.deleted, 1u);
  EXPECT_TRUE(f.shards.holds(1, d));
  EXPECT_FALSE(f.shards.holds(2, d));
}

TEST(Collector, ShardsUsedWithinTheGraceStay) {
  Fixture f;
  const cas::Digest old = f.store(1, 1);
  f.cluster.advance(seconds(50));
  const cas::Digest fresh = f.store(1, 2);  // a put whose manifest is not committed yet
  f.cluster.advance(seconds(20));
  const SweepReport r = f.sweep({1});
  EXPECT_EQ(r.deleted, 1u);
  EXPECT_EQ(r.in_grace, 1u);
  EXPECT_FALSE(f.shards.holds(1, old));
  EXPECT_TRUE(f.shards.holds(1, fresh));
}

TEST(Collector, TheReferenceIsAskedWhenEachShardIsJudgedNotAtTheStart) {
  Fixture f;  // pages of 3: shards on later pages are judged after earlier deletes
  std::vector<cas::Digest> ds;
  for (uint64_t i = 1; i <= 9; ++i) ds.push_back(f.store(1, i));
  f.cluster.advance(seconds(61));
  std::optional<SweepReport> out;
  f.collector->sweep({1}, [&](const SweepReport& r) { out = r; });
  // Once the sweep has begun, every shard becomes referenced (a commit landed).
  f.cluster.advance(milliseconds(1));
  for (const auto& d : ds) f.refs.insert({1, d});
  while (!out) f.cluster.advance(milliseconds(1));
  EXPECT_LT(out->deleted, 9u);
  EXPECT_EQ(out->deleted + out->referenced, 9u);
  EXPECT_EQ(f.shards.node(1).shards.size(), 9u - out->deleted);
}

TEST(Collector, ANodeThatDoesNotAnswerIsSkippedAndTheRestSwept) {
  Fixture f;
  const cas::Digest a = f.store(1, 1);
  const cas::Digest b = f.store(2, 2);
  f.shards.node(1).down = true;
  f.cluster.advance(seconds(61));
  const SweepReport r = f.sweep({1, 2});
  EXPECT_EQ(r.unreachable, std::vector<NodeId>{1});
  EXPECT_EQ(r.deleted, 1u);
  EXPECT_TRUE(f.shards.holds(1, a));
  EXPECT_FALSE(f.shards.holds(2, b));
}

TEST(Collector, StopEndsTheSweepSilentlyAndANewOneCanStart) {
  Fixture f;
  for (uint64_t i = 1; i <= 9; ++i) f.store(1, i);
  f.cluster.advance(seconds(61));
  bool called = false;
  f.collector->sweep({1}, [&](const SweepReport&) { called = true; });
  f.cluster.advance(milliseconds(1));
  f.collector->stop();
  EXPECT_FALSE(f.collector->running());
  f.cluster.advance(seconds(5));
  EXPECT_FALSE(called);
  const SweepReport r = f.sweep({1});  // a new leader's sweep finishes the job
  EXPECT_EQ(f.shards.node(1).shards.size(), 0u);
  EXPECT_GT(r.deleted, 0u);
}

TEST(Collector, DeletesStartNoFasterThanTheRate) {
  Fixture f({.grace = seconds(60), .page = 3, .deletes_per_second = 10});
  for (uint64_t i = 1; i <= 10; ++i) f.store(1, i);
  f.cluster.advance(seconds(61));
  const Time begun = f.rt.now();
  const SweepReport r = f.sweep({1});
  EXPECT_EQ(r.deleted, 10u);
  // Ten deletes, 100 ms apart: the last starts 900 ms after the first.
  EXPECT_GE(f.rt.now() - begun, milliseconds(900));
  EXPECT_LT(f.rt.now() - begun, milliseconds(1100));
  EXPECT_EQ(f.shards.node(1).shards.size(), 0u);
}

TEST(Collector, ReportsTheBytesListed) {
  Fixture f;
  uint64_t bytes = 0;
  for (uint64_t i = 1; i <= 4; ++i) bytes += f.store(1, i).size_bytes();
  const SweepReport r = f.sweep({1});  // all within the grace: nothing deleted
  EXPECT_EQ(r.listed_bytes, bytes);
  EXPECT_EQ(r.in_grace, 4u);
  EXPECT_EQ(r.deleted_bytes, 0u);
}

TEST(Collector, AnEmptySweepFinishesLater) {
  Fixture f;
  const SweepReport r = f.sweep({});
  EXPECT_EQ(r.listed, 0u);
}

// Property: whatever the shards, references, page size and bound, a sweep never deletes a
// referenced shard or one used within the grace, and deletes every other shard on a
// reachable node.
RC_GTEST_PROP(CollectorProperty, NeverDeletesWhatIsReferencedOrRecent, ()) {
  const auto page = *rc::gen::inRange<uint32_t>(1, 8);
  const auto bound = *rc::gen::inRange(1, 5);
  Fixture f({.grace = seconds(60), .page = page, .max_deletes_in_flight = bound});
  const auto count = *rc::gen::inRange(0, 40);
  std::set<std::pair<NodeId, cas::Digest>> recent;
  std::map<NodeId, std::set<cas::Digest>> all;
  for (int i = 0; i < count; ++i) {
    const NodeId n = *rc::gen::inRange<NodeId>(1, 4);
    const auto seed = *rc::gen::inRange<uint64_t>(1, 30);
    const bool is_recent = *rc::gen::arbitrary<bool>();
    const cas::Digest d = f.store(n, seed);
    all[n].insert(d);
    if (*rc::gen::arbitrary<bool>()) f.refs.insert({n, d});
    if (is_recent) recent.insert({n, d});
  }
  // Age everything, then touch the recent ones again (a deduplicated put).
  f.cluster.advance(seconds(61));
  for (const auto& [n, d] : recent) {
    f.shards.node(n).touched[d] = f.rt.now();
  }
  const bool one_down = *rc::gen::arbitrary<bool>();
  if (one_down) f.shards.node(3).down = true;
  const SweepReport r = f.sweep({1, 2, 3});
  for (const auto& [n, ds] : all) {
    for (const cas::Digest& d : ds) {
      const bool keep = f.refs.contains({n, d}) || recent.contains({n, d}) || (one_down && n == 3);
      RC_ASSERT(f.shards.holds(n, d) == keep);
    }
  }
  RC_ASSERT(r.delete_errors == 0u);
}

}  // namespace
}  // namespace cairn::gc
