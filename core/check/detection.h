// Checkers for failure detection, fed by what really happened (GroundTruth, written by
// the fault injector) and by what each node believed (Observations, reported by each
// node's membership service through its MembershipObserver, core/membership/observer.h).
// Each returns a verdict with a human-readable detail and the figures behind it.
//
//   detection_time   every crash is seen as dead by every node that stayed up, within max
//   recovery_time    every restart is seen as alive by every node that stayed up, within max
//   heal_time        after a heal, every pair of up nodes sees each other alive within max
//   false_suspicions suspicions of a node that was up, unpaused and not cut off by a
//                    partition during the preceding window (loss does not excuse them)
//   false_deaths     the same, for declarations of death
//   converged        at the end, every up node sees every up node alive and every down
//                    node dead (only judged when the last fault is old enough)
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/membership/member_table.h"
#include "core/runtime/time.h"

namespace cairn::check {

struct Observation {
  Time at;
  NodeId observer;
  NodeId target;
  membership::State state;
};

class GroundTruth {
 public:
  explicit GroundTruth(std::vector<NodeId> nodes) : nodes_(std::move(nodes)) {}

  void crash(NodeId node, Time at) {
    crashes_.push_back({node, at});
    down_[node].push_back({at, kForever});
  }
  void restart(NodeId node, Time at);
  // `node` cannot talk with some others (partition) or is frozen (pause) over [from, to).
  void disturb(NodeId node, Time from, Time to) { disturbed_[node].push_back({from, to}); }
  void heal(Time at) { heals_.push_back(at); }

  bool up(NodeId node, Time at) const;
  bool up_throughout(NodeId node, Time from, Time to) const;
  // Down, or disturbed, at some moment of [from, to].
  bool troubled(NodeId node, Time from, Time to) const;

  const std::vector<NodeId>& nodes() const { return nodes_; }
  const std::vector<std::pair<NodeId, Time>>& crashes() const { return crashes_; }
  const std::vector<std::pair<NodeId, Time>>& restarts() const { return restarts_; }
  const std::vector<Time>& heals() const { return heals_; }
  Time last_change() const;

  static constexpr Time kForever = Time::max();

 private:
  using Intervals = std::vector<std::pair<Time, Time>>;
  std::vector<NodeId> nodes_;
  std::vector<std::pair<NodeId, Time>> crashes_, restarts_;
  std::vector<Time> heals_;
  std::map<NodeId, Intervals> down_, disturbed_;
};

struct Verdict {
  bool pass = true;
  bool judged = true;  // false: the run gave no occasion to judge (e.g. no crash)
  std::string detail;
  std::map<std::string, double> figures;
};

class DetectionChecker {
 public:
  // `observations` must be in time order (as a trace is).
  DetectionChecker(const GroundTruth& truth, std::vector<Observation> observations, Time end);

  Verdict detection_time(Duration max) const;
  Verdict recovery_time(Duration max) const;
  Verdict heal_time(Duration max) const;
  Verdict false_suspicions(int64_t max, Duration window) const;
  Verdict false_deaths(int64_t max, Duration window) const;
  Verdict converged(Duration settle) const;

 private:
  // What `observer` believed about `target` just before `at` (alive if never told).
  membership::State belief(NodeId observer, NodeId target, Time at) const;
  // First time at or after `from` when observer's belief about target became `state`
  // (or `from` itself if it already was); Time::max() if never.
  Time first_belief(NodeId observer, NodeId target, membership::State state, Time from) const;
  Verdict false_reports(membership::State state, int64_t max, Duration window) const;

  const GroundTruth& truth_;
  std::map<std::pair<NodeId, NodeId>, std::vector<std::pair<Time, membership::State>>> history_;
  Time end_;
};

}  // namespace cairn::check
