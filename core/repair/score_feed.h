// ScoreFeed: what the meta leader measures of each storage node, turned into placement
// weights one bounded step at a time (core/placement/node_score.h). A pure state machine:
// the caller feeds it observations with the time they were made and asks for a step; it
// reads no clock and sends nothing (core/repair/score_service.h drives it).
//
// Measurements, per node:
//   - capacity and free bytes: the last answer to the node-stat probe;
//   - latency: the median round trip of the last `window` probes (a probe waits for one
//     disk operation in the node's disk queue, so a slow or busy disk shows in it);
//   - bandwidth: shard-transfer throughput while the node takes part in one (bytes over
//     the time at least one transfer was under way, so parallel transfers are not counted
//     as slow ones), per step; the node's best of its last `bandwidth_steps` steps counts
//     (a transfer has two ends and a slow peer only lowers it, so a node's best shows what
//     it can do); a node with fewer than min_bandwidth_steps such steps counts as the
//     median of the nodes that have them (as the reference while none has);
//   - uptime and flaps: the failure detector's verdicts, sampled, over the last `window`
//     samples (the fraction up; down-to-up transitions).
//
// Promises:
//   - step() scores only nodes in `current` with at least min_probes probe answers; it
//     scales their scores by the median of current weight / score over them (weights are
//     relative shares: a node whose standing matches the typical node's has its current
//     weight as target, so one node changing moves that node alone), then moves each by
//     next_weights(): no weight moves by more than churn.max_step of itself, and a target
//     within churn.hysteresis moves nothing;
//   - step() returns only the nodes whose weight changed, in node order, each with the
//     measurements it was scored on; it changes no state (the same call gives the same
//     answer);
//   - a node never observed keeps its weight: a new leader's feed, empty, changes nothing
//     until it has measured.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "core/placement/node_score.h"
#include "core/runtime/time.h"

namespace cairn::repair {

struct FeedOptions {
  placement::ScoreOptions score;
  placement::ChurnOptions churn;
  size_t window = 50;              // liveness samples and probe round trips kept per node
  size_t min_probes = 3;           // probe answers a node needs before it is scored
  size_t bandwidth_steps = 10;     // steps whose throughput is kept per node (the best counts)
  size_t min_bandwidth_steps = 3;  // kept steps before a node's own best counts
};

struct WeightChange {
  NodeId node = kNoNode;
  double old_weight = 0;
  double new_weight = 0;
  placement::NodeMeasurements measured;
};

class ScoreFeed {
 public:
  explicit ScoreFeed(FeedOptions options = {});

  // One verdict of the failure detector on `node`.
  void liveness(NodeId node, bool up);
  // An answer to the node-stat probe, `round_trip` after it was asked.
  void probe(NodeId node, uint64_t capacity_bytes, uint64_t free_bytes, Duration round_trip);
  // A shard transfer `node` takes part in starts or ends (`bytes` moved when it ends; 0 if
  // it failed). Ends without a start are ignored.
  void transfer_start(NodeId node, Time now);
  void transfer_end(NodeId node, uint64_t bytes, Time now);

  // Folds each node's throughput since the last step into its average (call once per step,
  // before step()).
  void close_period(Time now);

  // The measurements `node` would be scored on, if it has enough of them.
  std::optional<placement::NodeMeasurements> measured(NodeId node) const;
  // One step from `current` (the weights placement uses now, for the nodes that may be
  // re-weighted). REQUIRES: every weight in `current` is finite and > 0.
  std::vector<WeightChange> step(const std::map<NodeId, double>& current) const;

  void check_invariants() const;

 private:
  struct Node {
    std::deque<bool> up;                // liveness samples, oldest first
    std::deque<double> round_trips_ms;  // probe round trips, oldest first
    size_t probes = 0;
    uint64_t capacity_bytes = 0, free_bytes = 0;
    // Transfers: how many are under way, since when, and this period's bytes and busy time.
    int in_flight = 0;
    Time busy_since{};
    uint64_t period_bytes = 0;
    Duration period_busy{0};
    std::deque<double> throughputs;  // bytes per second, one per step with transfers
  };
  double bandwidth(const Node& n) const;  // the best kept throughput (0: too few kept)
  double median_bandwidth() const;

  FeedOptions options_;
  std::map<NodeId, Node> nodes_;
};

}  // namespace cairn::repair
