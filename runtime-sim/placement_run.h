// The placement side of a simulated run (the `placement:` section, docs/scenarios.md):
// stripes placed by the scenario's policy over the placed nodes, moved at every `join` and
// `leave` fault with core/placement's PlacedStripes, each change recorded as a trace event
// with what it cost (shards moved against the ideal, moves between nodes that stayed, load
// spread), summed up for people and for the `expect:` check. Holds no placement logic.
//
// Deterministic: the stripes' keys and each node's placement identity (its ring points and
// rendezvous score, as a real node's random id would) are drawn from the scenario's seed.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/placement/churn.h"
#include "core/runtime/log.h"
#include "runtime-sim/scenario.h"

namespace cairn::sim {

class PlacementRun {
 public:
  using Record = std::function<void(const Event&)>;

  // REQUIRES: scenario.placement.enabled, validate(scenario).ok().
  PlacementRun(const Scenario& scenario, Record record);

  // Places the stripes over the initial nodes (event placement_start).
  void start(Duration at);
  // A join or leave fault (event placement_change).
  void apply(const Fault& fault, Duration at);

  // A table for people: one row per placement.
  std::string report() const;
  void add_metrics(std::map<std::string, double>& metrics) const;
  // A figure of the expect check over [from, to), or nullopt if `name` is not a placement
  // figure or the window holds no change (see docs/scenarios.md, "placement").
  std::optional<double> figure(const std::string& name, Duration from, Duration to) const;

 private:
  struct Step {
    Duration at = Duration(0);
    FaultKind kind = FaultKind::kJoin;
    std::vector<NodeId> nodes;  // scenario ids
    size_t placed = 0;          // nodes placed after the step
    placement::ChangeFigures figures;
  };

  placement::Membership membership(uint64_t epoch) const;

  const Scenario& scenario_;
  Record record_;
  std::map<NodeId, placement::NodeId> identity_;  // scenario node -> placement identity
  std::set<NodeId> placed_;
  std::optional<placement::PlacedStripes> stripes_;
  placement::LoadSpread start_load_;
  std::vector<Step> steps_;
};

}  // namespace cairn::sim
