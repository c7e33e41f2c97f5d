// Properties every placement policy shares: distinct nodes, maximal domain spread, and
// minimal movement when a node joins or leaves.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

#include "core/placement/rendezvous.h"
#include "core/placement/ring.h"
#include "core/placement/testing.h"

namespace cairn::placement {
namespace {

using testing::random_membership;

std::unique_ptr<PlacementPolicy> build(const Membership& m, bool use_ring) {
  if (use_ring) return std::make_unique<Ring>(*Ring::build(m, {.vnodes_per_unit_weight = 32}));
  return std::make_unique<Rendezvous>(*Rendezvous::build(m));
}

RC_GTEST_PROP(Placement, SpreadsShardsOverDistinctNodesAndDomains, (bool use_ring)) {
  const auto membership = random_membership(*rc::gen::inRange(1, 40), *rc::gen::inRange(1, 8),
                                            *rc::gen::arbitrary<bool>());
  const auto policy = build(membership, use_ring);
  const auto& topo = policy->topology();
  const int count = *rc::gen::inRange<int>(1, static_cast<int>(topo.size()) + 1);
  for (uint64_t key : {*rc::gen::arbitrary<uint64_t>(), uint64_t{0}, uint64_t{1}}) {
    auto nodes = policy->place(key, count);
    RC_ASSERT(nodes.ok());
    RC_ASSERT(static_cast<int>(nodes->size()) == count);
    std::set<NodeId> ids;
    std::set<std::string> zones;
    std::set<std::pair<std::string, std::string>> racks;
    for (NodeId id : *nodes) {
      ids.insert(id);
      for (const Node& n : membership.nodes) {
        if (n.id == id) zones.insert(n.zone), racks.insert({n.zone, n.rack});
      }
    }
    RC_ASSERT(static_cast<int>(ids.size()) == count);
    RC_ASSERT(static_cast<int>(zones.size()) == std::min(count, topo.zone_count()));
    RC_ASSERT(static_cast<int>(racks.size()) == std::min(count, topo.rack_count()));
  }
  RC_ASSERT(!policy->place(0, count + static_cast<int>(topo.size())).ok());
}

// With at least as many zones as shards, a join moves shards only onto the new node and
// a leave moves only the departed node's shards.
RC_GTEST_PROP(Placement, MembershipChangesMoveOnlyTheChangedNodesShards, (bool use_ring)) {
  const int count = *rc::gen::inRange(1, 6);
  auto small = random_membership(*rc::gen::inRange(count * 2, 30), count + 2, false);
  auto policy = build(small, use_ring);
  RC_PRE(policy->topology().zone_count() >= count);
  auto big = small;
  big.epoch += 1;
  big.nodes.push_back({small.nodes.back().id + 1, "z0", "new", 1.0});
  std::vector<uint64_t> keys;
  for (uint64_t k = 0; k < 200; ++k) keys.push_back(k);
  auto joined = build(big, use_ring);
  auto join_moves = moved_shards(*policy, *joined, keys, count);
  RC_ASSERT(join_moves.ok());
  for (const ShardMove& move : *join_moves) RC_ASSERT(move.to == big.nodes.back().id);

  auto left = small;
  left.epoch += 1;
  const size_t gone = *rc::gen::inRange<size_t>(0, left.nodes.size());
  const NodeId gone_id = left.nodes[gone].id;
  left.nodes.erase(left.nodes.begin() + static_cast<ptrdiff_t>(gone));
  auto shrunk = build(left, use_ring);
  RC_PRE(shrunk->topology().zone_count() >= count);
  auto leave_moves = moved_shards(*policy, *shrunk, keys, count);
  RC_ASSERT(leave_moves.ok());
  for (const ShardMove& move : *leave_moves) RC_ASSERT(move.from == gone_id);
  RC_ASSERT(!moved_shards(*shrunk, *policy, keys, count).ok());  // epochs must advance
}

TEST(Placement, ReassignKeepsSurvivorsInPlace) {
  std::vector<NodeId> layout = {1, 2, 3, 4};
  std::vector<ShardMove> moves;
  reassign(7, layout, {5, 1, 4, 6}, moves);
  EXPECT_EQ(layout, (std::vector<NodeId>{1, 5, 6, 4}));
  EXPECT_EQ(moves, (std::vector<ShardMove>{{7, 1, 2, 5}, {7, 2, 3, 6}}));
}

TEST(Placement, RejectsBadMemberships) {
  EXPECT_FALSE(Ring::build({}, {}).ok());
  EXPECT_FALSE(Ring::build({1, {{1, "a", "r", 1}, {1, "b", "r", 1}}}, {}).ok());
  EXPECT_FALSE(Rendezvous::build({1, {{1, "a", "r", 0}}}).ok());
  EXPECT_FALSE(Ring::build({1, {{1, "a", "r", 1}}}, {.vnodes_per_unit_weight = 0}).ok());
}

}  // namespace
}  // namespace cairn::placement
