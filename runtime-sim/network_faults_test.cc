#include "runtime-sim/network_faults.h"

#include <gtest/gtest.h>

namespace cairn::sim {
namespace {

TEST(NetworkFaults, TwoWayPartitionBlocksAcrossGroupsOnly) {
  NetworkFaults n(LinkFaults{});
  n.partition({{1, 2}, {3, 4}}, false);
  EXPECT_TRUE(n.blocked(1, 3));
  EXPECT_TRUE(n.blocked(3, 1));
  EXPECT_FALSE(n.blocked(1, 2));
  EXPECT_FALSE(n.blocked(1, 5));  // n5 is in no group
  n.heal();
  EXPECT_FALSE(n.blocked(1, 3));
}

TEST(NetworkFaults, OneWayPartitionBlocksOutOfFirstGroup) {
  NetworkFaults n(LinkFaults{});
  n.partition({{1}, {2, 3}}, true);
  EXPECT_TRUE(n.blocked(1, 2));
  EXPECT_FALSE(n.blocked(2, 1));
}

TEST(NetworkFaults, RulesCombineAndCanBeRemoved) {
  NetworkFaults n(LinkFaults{.loss = 0.5});
  const uint64_t r =
      n.add_rule({1}, {}, LinkFaults{.loss = 0.5, .delay = std::chrono::milliseconds(3)});
  EXPECT_DOUBLE_EQ(n.faults(1, 2).loss, 0.75);
  EXPECT_EQ(n.faults(1, 2).delay, std::chrono::milliseconds(3));
  EXPECT_DOUBLE_EQ(n.faults(2, 1).loss, 0.5);
  n.remove_rule(r);
  EXPECT_DOUBLE_EQ(n.faults(1, 2).loss, 0.5);
}

TEST(NetworkFaults, LossRateMatchesProbability) {
  NetworkFaults n(LinkFaults{.loss = 0.2, .duplicate = 0.1});
  Rng rng(9);
  int lost = 0, dup = 0;
  for (int i = 0; i < 20000; ++i) {
    const Delivery d = n.decide(1, 2, rng);
    lost += d.copies == 0;
    dup += d.copies == 2;
  }
  EXPECT_NEAR(lost / 20000.0, 0.2, 0.015);
  EXPECT_NEAR(dup / 16000.0, 0.1, 0.015);
}

TEST(NetworkFaults, NoFaultsDrawNothing) {
  NetworkFaults n(LinkFaults{});
  Rng a(5), b(5);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(n.decide(1, 2, a).copies, 1);
  EXPECT_EQ(a.next(), b.next());
}

}  // namespace
}  // namespace cairn::sim
