// ScoreFeed (core/repair/score_feed.h) on a simulated cluster: each interval every node
// answers five probes and five liveness samples as its disk, store and uptime dictate, and
// the weights the feed steps to are "committed" as the registry would hold them.
#include "core/repair/score_feed.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace cairn::repair {
namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr int kSamples = 5;  // per interval, as ScoreService samples

struct SimNode {
  double latency_ms = 20;  // probe round trip
  double noise = 0;        // relative, uniform in [-noise, noise]
  uint64_t capacity = 100 * kGiB;
  uint64_t free = 50 * kGiB;
  bool flapping = false;  // down one sample in five
};

class Cluster {
 public:
  explicit Cluster(int nodes, uint32_t seed = 1) : rng_(seed) {
    for (int i = 1; i <= nodes; ++i) {
      sim[static_cast<NodeId>(i)] = SimNode{};
      weights[static_cast<NodeId>(i)] = 1.0;
    }
  }

  // One interval of measurements into `feed`, then one step; the changes are applied to
  // `weights` (committed). Returns the changes.
  std::vector<WeightChange> interval(ScoreFeed& feed) {
    for (int s = 0; s < kSamples; ++s) {
      for (const auto& [id, n] : sim) {
        feed.liveness(id, !(n.flapping && s == 2));
        std::uniform_real_distribution<double> u(-n.noise, n.noise);
        const double ms = n.latency_ms * (1 + u(rng_));
        feed.probe(
            id, n.capacity, n.free,
            std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::milli>(ms)));
      }
      now_ += std::chrono::seconds(6);
    }
    feed.close_period(now_);
    auto changes = feed.step(weights);
    for (const auto& c : changes) weights[c.node] = c.new_weight;
    return changes;
  }

  std::map<NodeId, SimNode> sim;
  std::map<NodeId, double> weights;
  Time now_{};

 private:
  std::mt19937 rng_;
};

// Every change moves at most max_step of the old weight, and from the committed weight.
void expect_bounded(const std::vector<WeightChange>& changes,
                    const std::map<NodeId, double>& before, double max_step) {
  for (const auto& c : changes) {
    EXPECT_DOUBLE_EQ(c.old_weight, before.at(c.node));
    EXPECT_LE(std::abs(c.new_weight - c.old_weight), max_step * c.old_weight * (1 + 1e-9))
        << "node " << c.node;
    EXPECT_NE(c.new_weight, c.old_weight);
  }
}

TEST(ScoreFeed, ASlowDiskLosesWeightStepByStepAndNoStepPassesMaxStep) {
  Cluster cluster(6);
  cluster.sim[6].latency_ms = 160;  // eight times the others' round trip
  ScoreFeed feed;
  double last = cluster.weights[6];
  int steps_down = 0;
  for (int i = 0; i < 40; ++i) {
    const auto before = cluster.weights;
    expect_bounded(cluster.interval(feed), before, FeedOptions{}.churn.max_step);
    EXPECT_LE(cluster.weights[6], last) << "interval " << i;
    steps_down += cluster.weights[6] < last ? 1 : 0;
    last = cluster.weights[6];
  }
  // sqrt(1/8) of the others' weight, about 0.35, reached in steps; the others keep theirs.
  EXPECT_GE(steps_down, 5);
  EXPECT_LT(cluster.weights[6], 0.4);
  EXPECT_GT(cluster.weights[6], 0.3);
  for (NodeId id = 1; id <= 5; ++id) EXPECT_EQ(cluster.weights[id], 1.0) << id;
}

TEST(ScoreFeed, ANearlyFullStoreLosesMostOfItsWeight) {
  Cluster cluster(5);
  cluster.sim[3].free = 2 * kGiB;  // 2 % free: under full_below
  ScoreFeed feed;
  for (int i = 0; i < 60; ++i) cluster.interval(feed);
  EXPECT_LT(cluster.weights[3], 0.05);
  EXPECT_EQ(cluster.weights[1], 1.0);
}

TEST(ScoreFeed, NoiseWithinHysteresisMovesNothing) {
  Cluster cluster(7, /*seed=*/7);
  for (auto& [id, n] : cluster.sim) n.noise = 0.03;  // +-3 % on every round trip
  ScoreFeed feed;
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(cluster.interval(feed).empty()) << "interval " << i;
  for (const auto& [id, w] : cluster.weights) EXPECT_EQ(w, 1.0);
}

TEST(ScoreFeed, NoiseBeyondHysteresisWouldMoveWeights) {
  // The same cluster with the hysteresis taken away: the noise alone moves weights, so the
  // test above could fail.
  Cluster cluster(7, /*seed=*/7);
  for (auto& [id, n] : cluster.sim) n.noise = 0.03;
  FeedOptions o;
  o.churn.hysteresis = 0;
  ScoreFeed feed(o);
  size_t moved = 0;
  for (int i = 0; i < 50; ++i) moved += cluster.interval(feed).size();
  EXPECT_GT(moved, 0u);
}

TEST(ScoreFeed, ALeaderChangeStepsOnFromTheCommittedWeights) {
  Cluster cluster(6);
  cluster.sim[6].latency_ms = 160;
  ScoreFeed old_leader;
  for (int i = 0; i < 4; ++i) cluster.interval(old_leader);
  const auto committed = cluster.weights;
  ASSERT_LT(committed.at(6), 0.7);  // about 0.9^4, on its way to about 0.4
  ASSERT_GT(committed.at(6), 0.6);
  // The new leader measures afresh: nothing moves before it has min_probes answers, and
  // then node 6 goes on down from its committed weight; no weight returns toward 1.
  ScoreFeed new_leader;
  EXPECT_TRUE(new_leader.step(cluster.weights).empty());
  for (int i = 0; i < 10; ++i) {
    const auto before = cluster.weights;
    const auto changes = cluster.interval(new_leader);
    expect_bounded(changes, before, FeedOptions{}.churn.max_step);
    for (const auto& c : changes) {
      if (c.node == 6) {
        EXPECT_LT(c.new_weight, c.old_weight);
      }
    }
  }
  EXPECT_LT(cluster.weights.at(6), committed.at(6));
}

TEST(ScoreFeed, AFlappingNodeWeighsLess) {
  Cluster cluster(5);
  cluster.sim[2].flapping = true;
  ScoreFeed feed;
  for (int i = 0; i < 40; ++i) cluster.interval(feed);
  auto m = feed.measured(2);
  ASSERT_TRUE(m.has_value());
  EXPECT_NEAR(m->uptime, 0.8, 1e-9);
  EXPECT_GE(m->flaps, 9u);
  EXPECT_LT(cluster.weights[2], 0.5);
}

TEST(ScoreFeed, ThroughputCountsBusyTimeOnceAndUnmeasuredNodesTakeTheMedian) {
  FeedOptions o;
  o.min_bandwidth_steps = 1;
  ScoreFeed feed(o);
  const Time t0{};
  for (NodeId id = 1; id <= 3; ++id) {
    for (int i = 0; i < 3; ++i) feed.probe(id, 0, 0, std::chrono::milliseconds(20));
  }
  // Node 1: two transfers of 100 MB overlapping over one second: 200 MB/s, not 100.
  feed.transfer_start(1, t0);
  feed.transfer_start(1, t0);
  feed.transfer_end(1, 100'000'000, t0 + std::chrono::milliseconds(500));
  feed.transfer_end(1, 100'000'000, t0 + std::chrono::seconds(1));
  // Node 2: 50 MB in one second.
  feed.transfer_start(2, t0);
  feed.transfer_end(2, 50'000'000, t0 + std::chrono::seconds(1));
  feed.transfer_end(3, 1'000'000, t0 + std::chrono::seconds(1));  // no start: ignored
  feed.close_period(t0 + std::chrono::seconds(2));
  EXPECT_NEAR(feed.measured(1)->bandwidth_bytes_per_s, 200e6, 1);
  EXPECT_NEAR(feed.measured(2)->bandwidth_bytes_per_s, 50e6, 1);
  EXPECT_NEAR(feed.measured(3)->bandwidth_bytes_per_s, 125e6, 1);  // the median of 200 and 50
  // Scaled by the median node (3): targets node 1 about 1.26, node 3 1.0, node 2 0.63.
  const auto changes = feed.step({{1, 1.0}, {2, 1.0}, {3, 1.0}});
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].node, 1u);
  EXPECT_DOUBLE_EQ(changes[0].new_weight, 1.1);
  EXPECT_EQ(changes[1].node, 2u);
  EXPECT_DOUBLE_EQ(changes[1].new_weight, 0.9);
  // A slower step later (a slow peer, say) does not lower node 1's best.
  feed.transfer_start(1, t0 + std::chrono::seconds(3));
  feed.transfer_end(1, 20'000'000, t0 + std::chrono::seconds(4));
  feed.close_period(t0 + std::chrono::seconds(4));
  EXPECT_NEAR(feed.measured(1)->bandwidth_bytes_per_s, 200e6, 1);
}

TEST(ScoreFeed, ANodesOwnThroughputCountsAfterMinBandwidthSteps) {
  ScoreFeed feed;  // min_bandwidth_steps 3
  for (int i = 0; i < 3; ++i) feed.probe(1, 0, 0, std::chrono::milliseconds(20));
  Time t{};
  for (int step = 1; step <= 3; ++step) {
    feed.transfer_start(1, t);
    t += std::chrono::seconds(1);
    feed.transfer_end(1, 10'000'000, t);  // 10 MB/s
    feed.close_period(t);
    // 0: not measured (score() then takes the reference); no other node has any either.
    const double expected = step < 3 ? 0 : 10e6;
    EXPECT_NEAR(feed.measured(1)->bandwidth_bytes_per_s, expected, 1) << "step " << step;
  }
}

TEST(ScoreFeed, OnlyNodesOfferedAreReweighted) {
  // A draining node is not in `current`: whatever it measures, no change names it.
  Cluster cluster(4);
  cluster.sim[4].latency_ms = 500;
  ScoreFeed feed;
  cluster.weights.erase(4);
  for (int i = 0; i < 20; ++i) {
    for (const auto& c : cluster.interval(feed)) EXPECT_NE(c.node, 4u);
  }
  EXPECT_EQ(cluster.weights.count(4), 0u);
}

}  // namespace
}  // namespace cairn::repair
