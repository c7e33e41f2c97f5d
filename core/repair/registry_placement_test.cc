// registry_placement (core/repair/registry_placement.h): the configured members as the node
// registry amends them, and what a node joining that way costs in moves.
#include "core/repair/registry_placement.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "core/placement/ring.h"
#include "core/repair/planner.h"
#include "core/repair/testing.h"

namespace cairn::repair {
namespace {

// `zones` x `per_zone` equal nodes on a ring (ids 1000 * zone + i + 1), at epoch 1, with
// no racks, as storage::storage_placement configures them.
std::shared_ptr<const placement::PlacementPolicy> configured(int zones, int per_zone) {
  placement::Membership m = placement::testing::balanced_membership(zones, per_zone);
  for (auto& n : m.nodes) n.rack.clear();
  auto ring = placement::Ring::build(m, {});
  EXPECT_TRUE(ring.ok());
  return std::make_shared<placement::Ring>(std::move(*ring));
}

meta::wire::StorageNode node(uint32_t id, meta::wire::NodeState state, double weight = 0,
                             const std::string& zone = "") {
  meta::wire::StorageNode n;
  n.set_id(id);
  n.set_state(state);
  n.set_weight(weight);
  n.set_zone(zone);
  return n;
}

TEST(RegistryPlacement, NothingRegisteredIsTheConfiguredPolicy) {
  auto conf = configured(3, 2);
  auto p = registry_placement(conf, {}, 0);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->get(), conf.get());
}

TEST(RegistryPlacement, DrainingAndDeadLeaveUpJoinsWithItsWeight) {
  auto conf = configured(3, 2);  // 1 2 1001 1002 2001 2002
  std::map<uint32_t, meta::wire::StorageNode> reg;
  reg[2] = node(2, meta::wire::NODE_DRAINING);
  reg[1001] = node(1001, meta::wire::NODE_DEAD);
  reg[9] = node(9, meta::wire::NODE_UP, 2.0, "z0");
  auto p = registry_placement(conf, reg, 3);
  ASSERT_TRUE(p.ok()) << p.status();
  const auto& topo = (*p)->topology();
  EXPECT_EQ((*p)->epoch(), 4u);  // configured 1 + registry 3
  std::map<NodeId, double> weights;
  for (uint32_t i = 0; i < topo.size(); ++i) weights[topo.node(i).id] = topo.node(i).weight;
  EXPECT_EQ(weights,
            (std::map<NodeId, double>{{1, 1.0}, {9, 2.0}, {1002, 1.0}, {2001, 1.0}, {2002, 1.0}}));
}

TEST(RegistryPlacement, WeightZeroMeansCapacityInGiB) {
  std::map<uint32_t, meta::wire::StorageNode> reg;
  reg[1] = node(1, meta::wire::NODE_UP);
  reg[1].set_capacity_bytes(4ull << 30);
  auto p = registry_placement(configured(1, 3), reg, 1);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->topology().node(0).weight, 4.0);
}

TEST(RegistryPlacement, NoNodeLeftIsRefused) {
  std::map<uint32_t, meta::wire::StorageNode> reg;
  for (uint32_t id : {1u, 2u, 3u}) reg[id] = node(id, meta::wire::NODE_DRAINING);
  auto p = registry_placement(configured(1, 3), reg, 3);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
}

// A node registered later with the weight of the others: the planner moves only the
// shards moved_shards() names, about 1/(n+1) of all shards, never more than the move
// budget at once.
TEST(RegistryPlacement, AJoinedNodeGetsAboutItsShareWithinTheMoveBudget) {
  auto conf = configured(3, 2);
  PlannerOptions o;
  const uint64_t task = 3 * storage::erasure_shard_bytes(3, 4096);
  o.move_bytes_max = 4 * task;
  Planner p(o, conf);
  std::map<cas::Digest, storage::ChunkLayout> layouts;
  const int stripes = 600;
  for (int c = 0; c < stripes; ++c) {
    auto l = testing::placed_layout(*conf, c, 3, 2);
    layouts[l.chunk] = l;
    ASSERT_TRUE(p.set_layout(l).ok());
  }
  std::map<uint32_t, meta::wire::StorageNode> reg;
  reg[7] = node(7, meta::wire::NODE_UP, 1.0, "z0");
  auto joined = registry_placement(conf, reg, 1);
  ASSERT_TRUE(joined.ok());
  p.set_placement(*joined);
  const size_t wanted = p.moves_pending();
  uint64_t moved = 0, max_in_flight = 0, to_others = 0;
  // Every task succeeds and every move commits at once; time passes when nothing is ready.
  for (int step = 0; step < 100000 && p.moves_pending() > 0; ++step) {
    Ready r = p.ready();
    if (r.empty()) {
      p.tick();
      continue;
    }
    max_in_flight = std::max(max_in_flight, p.move_bytes_in_flight());
    for (const RebuildTask& t : r.tasks) {
      ASSERT_TRUE(t.move);
      to_others += t.to == 7 ? 0 : 1;  // between nodes that stay: work the join did not need
      p.task_done(t.id, absl::OkStatus());
    }
    for (const LayoutMove& m : r.moves) {
      auto& l = layouts.at(m.chunk);
      l.shards[static_cast<size_t>(m.shard)].node = m.to;
      ASSERT_TRUE(p.set_layout(l).ok());
      ++moved;
    }
  }
  const double fraction = static_cast<double>(moved) / (stripes * 5);
  std::printf(
      "joined node: %llu of %d shards moved (%.3f; ideal 1/7 = %.3f), %llu of them "
      "not to the new node; at most %llu move bytes in flight (budget %llu)\n",
      static_cast<unsigned long long>(moved), stripes * 5, fraction, 1.0 / 7,
      static_cast<unsigned long long>(to_others), static_cast<unsigned long long>(max_in_flight),
      static_cast<unsigned long long>(o.move_bytes_max));
  EXPECT_EQ(p.moves_pending(), 0u);
  EXPECT_EQ(moved, wanted);
  EXPECT_LE(max_in_flight, o.move_bytes_max);
  EXPECT_GT(fraction, 0.75 / 7);
  EXPECT_LT(fraction, 1.25 / 7);
  EXPECT_EQ(p.stripes_on(7), moved - to_others);  // one shard per stripe at most
}

}  // namespace
}  // namespace cairn::repair
