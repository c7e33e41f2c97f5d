// Properties of copyset placement: distinct nodes inside one copyset, determinism by seed,
// every copyset in use, scatter width bounded by the permutations drawn, zone spread.
#include "core/placement/copyset.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

#include "core/placement/testing.h"
#include "core/placement/topology.h"

namespace cairn::placement {
namespace {

struct Drawn {
  Membership membership;
  CopysetOptions options;
};

Drawn draw(bool weighted) {
  Drawn d;
  d.membership =
      testing::random_membership(*rc::gen::inRange(1, 40), *rc::gen::inRange(1, 6), weighted);
  const int n = static_cast<int>(d.membership.nodes.size());
  d.options.copyset_size = *rc::gen::inRange(1, std::min(n, 6) + 1);
  const int r = d.options.copyset_size;
  d.options.scatter_width = *rc::gen::inRange(r - 1, r - 1 + 4 * std::max(r - 1, 1) + 1);
  d.options.seed = *rc::gen::arbitrary<uint64_t>();
  return d;
}

int permutations(const CopysetOptions& o) {
  return o.copyset_size == 1 ? 1 : (o.scatter_width + o.copyset_size - 2) / (o.copyset_size - 1);
}

RC_GTEST_PROP(Copyset, PlacesDistinctNodesInsideOneCopyset, ()) {
  const Drawn d = draw(*rc::gen::arbitrary<bool>());
  const auto policy = *CopysetPlacement::build(d.membership, d.options);
  const int r = d.options.copyset_size;
  const int count = *rc::gen::inRange(0, r + 1);
  for (uint64_t key : {*rc::gen::arbitrary<uint64_t>(), uint64_t{0}, uint64_t{1}}) {
    const auto nodes = policy.place(key, count);
    RC_ASSERT(nodes.ok());
    RC_ASSERT(static_cast<int>(nodes->size()) == count);
    RC_ASSERT(std::set<NodeId>(nodes->begin(), nodes->end()).size() == nodes->size());
    const Copyset& home = policy.copysets()[policy.copyset_of(key)];
    for (NodeId id : *nodes) RC_ASSERT(std::find(home.begin(), home.end(), id) != home.end());
    const auto full = *policy.place(key, r);
    RC_ASSERT(std::set<NodeId>(full.begin(), full.end()) ==
              std::set<NodeId>(home.begin(), home.end()));
    RC_ASSERT(std::equal(nodes->begin(), nodes->end(), full.begin()));  // a prefix
  }
  RC_ASSERT(!policy.place(0, r + 1).ok());
  RC_ASSERT(!policy.place(0, -1).ok());
}

RC_GTEST_PROP(Copyset, SameSeedSameCopysetsAndPlacements, ()) {
  const Drawn d = draw(*rc::gen::arbitrary<bool>());
  const auto a = *CopysetPlacement::build(d.membership, d.options);
  const auto b = *CopysetPlacement::build(d.membership, d.options);
  RC_ASSERT(a.copysets() == b.copysets());
  for (uint64_t key = 0; key < 50; ++key) {
    RC_ASSERT(*a.place(key, d.options.copyset_size) == *b.place(key, d.options.copyset_size));
  }
}

RC_GTEST_PROP(Copyset, EveryCopysetHoldsSomeStripe, ()) {
  const Drawn d = draw(false);
  const auto policy = *CopysetPlacement::build(d.membership, d.options);
  std::vector<int> hits(policy.copysets().size(), 0);
  const uint64_t keys = 64 * policy.copysets().size() + 64;
  for (uint64_t key = 0; key < keys; ++key) ++hits[policy.copyset_of(mix64(key))];
  for (int h : hits) RC_ASSERT(h > 0);
}

RC_GTEST_PROP(Copyset, ScatterWidthIsBoundedByThePermutations, ()) {
  const Drawn d = draw(false);
  const auto copysets = *make_copysets(d.membership, d.options);
  const int n = static_cast<int>(d.membership.nodes.size());
  const int r = d.options.copyset_size;
  const int p = permutations(d.options);
  RC_ASSERT(static_cast<int>(copysets.size()) <= p * ((n + r - 1) / r));
  RC_ASSERT(static_cast<int>(copysets.size()) >= (n + r - 1) / r);
  // With one zone, top-ups never reuse a node while P * R <= N; past that only N - 1
  // bounds the scatter. With several, zones come first: a node may top up once per
  // permutation.
  const bool one_zone = Topology::build(d.membership)->zone_count() == 1;
  const int bound = n % r == 0               ? p * (r - 1)
                    : one_zone && p * r <= n ? (p + 1) * (r - 1)
                    : one_zone               ? n - 1
                                             : 2 * p * (r - 1);
  for (const Node& node : d.membership.nodes) {
    const int s = scatter_width(copysets, node.id);
    RC_ASSERT(s <= std::min(bound, n - 1));
    RC_ASSERT(s >= r - 1);  // every node sits in at least one copyset
  }
}

RC_GTEST_PROP(Copyset, BalancedZonesGiveCopysetsOfDistinctZones, ()) {
  const int r = *rc::gen::inRange(2, 5);
  const int zones = *rc::gen::inRange(r, r + 3);
  const auto membership = testing::balanced_membership(zones, *rc::gen::inRange(1, 8));
  const CopysetOptions options{r, *rc::gen::inRange(r - 1, 4 * (r - 1) + 1),
                               *rc::gen::arbitrary<uint64_t>()};
  const auto copysets = make_copysets(membership, options);
  RC_ASSERT(copysets.ok());
  for (const Copyset& c : *copysets) {
    std::set<NodeId> zone_ids;
    for (NodeId id : c) zone_ids.insert(id / 1000);  // balanced_membership: zone z -> 1000 z + i
    RC_ASSERT(static_cast<int>(zone_ids.size()) == r);
  }
}

// Soak seed 5039102913593871941 shrank to this: five zones of two nodes, copysets of four.
// Each permutation leaves a partial copyset of two, and its top-up took the nodes that had
// topped up least, one of them from a zone the copyset already held.
TEST(Copyset, ATopUpTakesNodesOfTheZonesItsCopysetLacks) {
  const auto membership = testing::balanced_membership(5, 2);
  const auto copysets = make_copysets(membership, {4, 10, 2079012});
  ASSERT_TRUE(copysets.ok()) << copysets.status();
  for (const Copyset& c : *copysets) {
    std::set<NodeId> zone_ids;
    for (NodeId id : c) zone_ids.insert(id / 1000);
    EXPECT_EQ(zone_ids.size(), 4u);
  }
}

TEST(Copyset, RejectsBadOptionsAndCopysets) {
  Membership m{1, {{1, "a", "r", 1}, {2, "b", "r", 1}, {3, "c", "r", 1}}};
  EXPECT_FALSE(make_copysets(m, {4, 3, 1}).ok());       // R > N
  EXPECT_FALSE(make_copysets(m, {3, 1, 1}).ok());       // S < R - 1
  EXPECT_FALSE(make_copysets(m, {0, 1, 1}).ok());       // R < 1
  EXPECT_FALSE(make_copysets(m, {2, 20'001, 1}).ok());  // too many permutations
  EXPECT_FALSE(CopysetPlacement::build(m, std::vector<Copyset>{}).ok());
  EXPECT_FALSE(CopysetPlacement::build(m, std::vector<Copyset>{{1, 2}, {3}}).ok());
  EXPECT_FALSE(CopysetPlacement::build(m, std::vector<Copyset>{{1, 1}}).ok());
  EXPECT_FALSE(CopysetPlacement::build(m, std::vector<Copyset>{{1, 4}}).ok());
  const auto ok = CopysetPlacement::build(m, std::vector<Copyset>{{1, 2}});
  ASSERT_TRUE(ok.ok());
  for (uint64_t key = 0; key < 20; ++key) {
    const auto nodes = *ok->place(key, 2);
    EXPECT_EQ(std::set<NodeId>(nodes.begin(), nodes.end()), (std::set<NodeId>{1, 2}));
  }
}

// The paper's example shape: 9 nodes, R = 3, S = 4 gives two permutations of three
// copysets each, and each node shares data with exactly four others at most.
TEST(Copyset, NineNodesScatterFourMakesSixCopysets) {
  Membership m{1, {}};
  for (NodeId id = 1; id <= 9; ++id) m.nodes.push_back({id, "z", "r", 1});
  const auto copysets = *make_copysets(m, {3, 4, 42});
  EXPECT_EQ(copysets.size(), 6u);
  for (NodeId id = 1; id <= 9; ++id) EXPECT_LE(scatter_width(copysets, id), 4);
  EXPECT_NE(copysets, *make_copysets(m, {3, 4, 43}));
}

}  // namespace
}  // namespace cairn::placement
