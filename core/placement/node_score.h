// Node scores: placement weights recomputed from what is measured of each storage node
// (capacity, bandwidth, latency, stability), moved toward their targets with bounded churn.
//
// A node's weight decides its share of new shards (topology.h). score() turns
// measurements into a target weight: capacity in GiB, scaled by a performance factor
// (bandwidth against a reference, the reference latency against the node's) and a
// stability factor (uptime in the window, flaps), and cut hard for a node that is nearly
// full. next_weights() then moves the current weights toward the targets:
//
// Promises:
//   - score() is finite and > 0 for any input (missing or absurd measurements count as the
//     reference); non-decreasing in bandwidth, uptime, free bytes, and capacity at a fixed
//     fraction free; non-increasing in latency and flaps; the performance and stability
//     factors stay within their bounds;
//   - next_weights() changes no weight by more than `max_step` of itself per call, leaves a
//     weight alone when its target is within `hysteresis` of it (so noise moves nothing),
//     and, called again and again with fixed targets, reaches every target within the
//     hysteresis in a bounded number of calls;
//   - a change of weights is what bumps the placement epoch; shards then move only as
//     moved_shards() asks (policy.h), so bounded churn of weights bounds data movement.
#pragma once

#include <cstdint>
#include <map>

#include "core/runtime/message.h"

namespace cairn::placement {

struct NodeMeasurements {
  uint64_t capacity_bytes = 0;  // the store's capacity (0: unknown)
  uint64_t free_bytes = 0;
  double bandwidth_bytes_per_s = 0;  // shard transfers, smoothed (0: not measured yet)
  double latency_ms = 0;             // shard operations, p95 (0: not measured yet)
  double uptime = 1;                 // fraction of the window the node was up, 0..1
  uint32_t flaps = 0;                // down-to-up transitions in the window
};

struct ScoreOptions {
  double reference_bandwidth_bytes_per_s = 200e6;
  double reference_latency_ms = 10;
  double min_performance = 0.25, max_performance = 2;  // bounds of the performance factor
  double min_stability = 0.05;                         // the floor of the stability factor
  double full_below = 0.05;         // free / capacity under this: the node is nearly full
  double full_factor = 0.01;        // what a nearly full node keeps of its weight
  double unknown_capacity_gib = 1;  // a node that has not reported its capacity
};

// The target weight of a node with these measurements.
double score(const NodeMeasurements& m, const ScoreOptions& options = {});

struct ChurnOptions {
  double max_step = 0.10;    // the most a weight moves per call, as a fraction of itself
  double hysteresis = 0.05;  // targets within this fraction of the weight are ignored
};

// The weights after one step toward `targets`. A node only in `targets` joins at its
// target; a node only in `current` is left out (it left the membership).
std::map<NodeId, double> next_weights(const std::map<NodeId, double>& current,
                                      const std::map<NodeId, double>& targets,
                                      const ChurnOptions& options = {});

}  // namespace cairn::placement
