#include "core/placement/node_score.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <limits>

namespace cairn::placement {
namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;

NodeMeasurements healthy(uint64_t gib) {
  return {.capacity_bytes = gib * kGiB,
          .free_bytes = gib * kGiB / 2,
          .bandwidth_bytes_per_s = 200e6,
          .latency_ms = 10,
          .uptime = 1,
          .flaps = 0};
}

TEST(NodeScore, AReferenceNodeWeighsItsCapacityInGiB) {
  EXPECT_DOUBLE_EQ(score(healthy(100)), 100.0);
  EXPECT_DOUBLE_EQ(score(healthy(400)), 400.0);
}

TEST(NodeScore, SlowFlappingAndFullNodesWeighLess) {
  const double base = score(healthy(100));
  NodeMeasurements slow = healthy(100);
  slow.bandwidth_bytes_per_s = 50e6;
  slow.latency_ms = 40;
  EXPECT_DOUBLE_EQ(score(slow), base * 0.25);  // the performance floor
  NodeMeasurements flapping = healthy(100);
  flapping.flaps = 3;
  flapping.uptime = 0.9;
  EXPECT_NEAR(score(flapping), base * 0.81 / 4, 1e-9);
  NodeMeasurements full = healthy(100);
  full.free_bytes = kGiB;  // 1 % free
  EXPECT_DOUBLE_EQ(score(full), base * 0.01);
  NodeMeasurements fast = healthy(100);
  fast.bandwidth_bytes_per_s = 10e9;
  fast.latency_ms = 0.1;
  EXPECT_DOUBLE_EQ(score(fast), base * 2);  // the performance ceiling
}

TEST(NodeScore, MissingOrAbsurdMeasurementsCountAsTheReference) {
  NodeMeasurements m = healthy(100);
  m.bandwidth_bytes_per_s = std::numeric_limits<double>::quiet_NaN();
  m.latency_ms = -3;
  m.uptime = std::numeric_limits<double>::infinity();
  EXPECT_DOUBLE_EQ(score(m), 100.0);
  EXPECT_DOUBLE_EQ(score(NodeMeasurements{}), 1.0);  // nothing reported yet
}

TEST(NextWeights, NoiseMovesNothingAndJoinsAndLeavesAreImmediate) {
  const std::map<NodeId, double> now{{1, 100}, {2, 100}, {3, 50}};
  const auto next = next_weights(now, {{1, 104}, {2, 160}, {4, 30}});
  EXPECT_DOUBLE_EQ(next.at(1), 100);  // within 5 %
  EXPECT_DOUBLE_EQ(next.at(2), 110);  // at most 10 % per step
  EXPECT_DOUBLE_EQ(next.at(4), 30);   // joins at its target
  EXPECT_FALSE(next.contains(3));     // left
}

rc::Gen<NodeMeasurements> measurements() {
  return rc::gen::build<NodeMeasurements>(
      rc::gen::set(&NodeMeasurements::capacity_bytes, rc::gen::inRange<uint64_t>(0, 1ULL << 44)),
      rc::gen::set(&NodeMeasurements::free_bytes, rc::gen::inRange<uint64_t>(0, 1ULL << 44)),
      rc::gen::set(&NodeMeasurements::bandwidth_bytes_per_s, rc::gen::arbitrary<double>()),
      rc::gen::set(&NodeMeasurements::latency_ms, rc::gen::arbitrary<double>()),
      rc::gen::set(&NodeMeasurements::uptime, rc::gen::arbitrary<double>()),
      rc::gen::set(&NodeMeasurements::flaps, rc::gen::inRange<uint32_t>(0, 1000)));
}

RC_GTEST_PROP(NodeScoreProperty, FinitePositiveAndMonotone, ()) {
  const NodeMeasurements m = *measurements();
  const double s = score(m);
  RC_ASSERT(std::isfinite(s));
  RC_ASSERT(s > 0);
  const double factor = *rc::gen::inRange(101, 400) / 100.0;
  auto better = m;
  better.bandwidth_bytes_per_s =
      std::isfinite(m.bandwidth_bytes_per_s) && m.bandwidth_bytes_per_s > 0
          ? m.bandwidth_bytes_per_s * factor
          : m.bandwidth_bytes_per_s;
  RC_ASSERT(score(better) >= s);
  auto slower = m;
  slower.latency_ms =
      std::isfinite(m.latency_ms) && m.latency_ms > 0 ? m.latency_ms * factor : m.latency_ms;
  RC_ASSERT(score(slower) <= s);
  auto flappier = m;
  flappier.flaps = m.flaps + 1;
  RC_ASSERT(score(flappier) <= s);
  auto less_up = m;
  less_up.uptime = std::isfinite(m.uptime) ? std::clamp(m.uptime, 0.0, 1.0) / factor : m.uptime;
  RC_ASSERT(score(less_up) <= s);
  auto more_free = m;
  more_free.free_bytes = m.free_bytes + (1ULL << 30);
  RC_ASSERT(score(more_free) >= s);
  auto bigger = m;  // twice the capacity at the same fraction free
  bigger.capacity_bytes = m.capacity_bytes * 2;
  bigger.free_bytes = std::min(m.free_bytes, m.capacity_bytes) * 2;
  RC_ASSERT(score(bigger) >= s);
}

RC_GTEST_PROP(NextWeightsProperty, BoundedStepsReachEveryTarget, ()) {
  const ChurnOptions o;
  std::map<NodeId, double> w, targets;
  const auto n = *rc::gen::inRange(1, 20);
  for (NodeId id = 1; id <= static_cast<NodeId>(n); ++id) {
    w[id] = *rc::gen::inRange(1, 100000) / 10.0;
    targets[id] = *rc::gen::inRange(1, 100000) / 10.0;
  }
  // The most steps the farthest target can need: 10 % of the weight per step (going up is
  // the slower direction: x1.1 a step).
  double worst = 1;
  for (const auto& [id, t] : targets) worst = std::max({worst, t / w[id], w[id] / t});
  const int bound = static_cast<int>(std::ceil(std::log(worst) / std::log(1 + o.max_step))) + 1;
  for (int step = 0; step <= bound; ++step) {
    const auto next = next_weights(w, targets, o);
    for (const auto& [id, x] : next) {
      RC_ASSERT(std::abs(x - w[id]) <= o.max_step * w[id] + 1e-9);
    }
    w = next;
  }
  for (const auto& [id, t] : targets) RC_ASSERT(std::abs(w[id] - t) <= o.hysteresis * w[id] + 1e-9);
}

}  // namespace
}  // namespace cairn::placement
