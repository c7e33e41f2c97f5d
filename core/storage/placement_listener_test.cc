// The registry's placement on the wire and in a storage node (placement_listener.h).
#include "core/storage/placement_listener.h"

#include <gtest/gtest.h>

#include "core/placement/churn.h"
#include "core/placement/testing.h"
#include "core/runtime/manual_runtime.h"
#include "core/wire/message_types.h"

namespace cairn::storage {
namespace {

std::shared_ptr<const placement::PlacementPolicy> policy(placement::PolicyKind kind, uint64_t epoch,
                                                         int drop = 0) {
  placement::Membership m = placement::testing::balanced_membership(3, 3);
  m.epoch = epoch;
  m.nodes.erase(m.nodes.begin(), m.nodes.begin() + drop);
  m.nodes.front().weight = 2.5;
  auto p = placement::make_policy({.kind = kind}, m);
  EXPECT_TRUE(p.ok());
  return std::shared_ptr<const placement::PlacementPolicy>(std::move(*p));
}

Message message(const wire::PlacementUpdate& u) {
  Message m;
  m.type = cairn::wire::kPlacementUpdate;
  u.SerializeToString(&m.header);
  return m;
}

TEST(PlacementUpdate, APolicyCrossesTheWireAndPlacesAlike) {
  for (auto kind : {placement::PolicyKind::kRing, placement::PolicyKind::kRendezvous}) {
    auto before = policy(kind, 9);
    auto after = placement_from(placement_update(*before));
    ASSERT_TRUE(after.ok()) << after.status();
    EXPECT_EQ((*after)->epoch(), 9u);
    EXPECT_EQ((*after)->name(), before->name());
    for (uint64_t key = 0; key < 200; ++key) {
      EXPECT_EQ(*(*after)->place(key * 7919, 5), *before->place(key * 7919, 5));
    }
  }
}

TEST(PlacementUpdate, MalformedUpdatesAreInvalidArgument) {
  wire::PlacementUpdate good = placement_update(*policy(placement::PolicyKind::kRing, 3));
  auto bad = [&](auto mutate) {
    wire::PlacementUpdate u = good;
    mutate(u);
    return placement_from(u).status();
  };
  EXPECT_TRUE(absl::IsInvalidArgument(bad([](auto& u) { u.clear_members(); })));
  EXPECT_TRUE(absl::IsInvalidArgument(bad([](auto& u) { u.set_kind("modulo2"); })));
  EXPECT_TRUE(absl::IsInvalidArgument(bad([](auto& u) { u.mutable_members(1)->set_weight(0); })));
  EXPECT_TRUE(absl::IsInvalidArgument(bad([](auto& u) { u.mutable_members(1)->set_weight(-1); })));
  EXPECT_TRUE(absl::IsInvalidArgument(bad([](auto& u) { u.mutable_members(1)->set_id(0); })));
  EXPECT_TRUE(absl::IsInvalidArgument(
      bad([](auto& u) { u.mutable_members(1)->set_id(u.members(0).id()); })));
}

TEST(PlacementListener, OnlyALaterEpochChangesThePlacement) {
  ManualCluster cluster(1);
  ManualRuntime& rt = cluster.add_node(5);
  std::vector<std::shared_ptr<const placement::PlacementPolicy>> applied;
  PlacementListener listener(rt, 4, [&](auto p) { applied.push_back(p); });
  listener.on_message(1, message(placement_update(*policy(placement::PolicyKind::kRing, 4))));
  EXPECT_TRUE(applied.empty()) << "the epoch in force";
  listener.on_message(1, message(placement_update(*policy(placement::PolicyKind::kRing, 7, 1))));
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(applied[0]->epoch(), 7u);
  EXPECT_EQ(applied[0]->topology().size(), 8u);
  listener.on_message(1, message(placement_update(*policy(placement::PolicyKind::kRing, 6))));
  listener.on_message(1, message(placement_update(*policy(placement::PolicyKind::kRing, 7))));
  EXPECT_EQ(applied.size(), 1u) << "an older or repeated epoch";
  EXPECT_EQ(listener.epoch(), 7u);
}

TEST(PlacementListener, ABadUpdateIsRefusedAndChangesNothing) {
  ManualCluster cluster(1);
  ManualRuntime& rt = cluster.add_node(5);
  int applied = 0;
  PlacementListener listener(rt, 1, [&](auto) { ++applied; });
  Message garbage;
  garbage.type = cairn::wire::kPlacementUpdate;
  garbage.header = "\xff\xff\xff";
  listener.on_message(1, garbage);
  wire::PlacementUpdate empty;
  empty.set_epoch(9);
  empty.set_kind("ring");
  listener.on_message(1, message(empty));
  EXPECT_EQ(applied, 0);
  EXPECT_EQ(listener.epoch(), 1u);
  EXPECT_EQ(rt.metrics().counter("storage_bad_placement_updates").value(), 2);
  ASSERT_FALSE(rt.events().empty());
  EXPECT_EQ(rt.events().back().kind, "placement_refused");
}

}  // namespace
}  // namespace cairn::storage
