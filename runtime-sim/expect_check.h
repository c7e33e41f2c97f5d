// The `expect:` check: what a lesson tells students to observe, asserted on the run's
// figures, each over the whole run or a window of it (docs/scenarios.md):
//
//   expect:
//     membership_refutations: {min: 2, between: [110s, 130s]}
//     writes_per_s: {max: 10, between: [20s, 35s]}
//
// A figure is a node counter summed over every node (as in metrics.csv, e.g.
// membership_suspicions_raised, raft_elections_won), counted as its increase over the
// window from the metric samples; or, in runs with Raft clients, `writes` / `writes_per_s`
// (writes acknowledged to clients in the window); or, in runs with `placement:`, one of
// the placement figures (placement_run.h).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime-sim/world.h"

namespace cairn::sim {

// Run-wide totals of the node counters, sampled over time (one row per metric sample).
class CounterTotals {
 public:
  // Adds a sample at `at` of every counter, summed over nodes.
  void add(Time at, const std::map<std::string, double>& totals);
  // The increase of `name` between the last samples at or before `from` and `to`;
  // nullopt if no sample holds it.
  std::optional<double> increase(const std::string& name, Duration from, Duration to) const;

 private:
  std::vector<std::pair<Time, std::map<std::string, double>>> samples_;
};

// A figure of the run itself over [from, to) (the placement lesson's), or nullopt if it has
// none by that name.
using RunFigure = std::function<std::optional<double>(const std::string&, Duration, Duration)>;

// Judges spec.expect. `writes` gives the writes acknowledged in [from, to) (null: the run
// has no Raft clients); `run_figure` (null: none) is asked before the node counters.
CheckResult judge_expect(const CheckSpec& spec, Duration run_end, const CounterTotals& totals,
                         const std::function<int64_t(Duration, Duration)>& writes,
                         const RunFigure& run_figure = {});

}  // namespace cairn::sim
