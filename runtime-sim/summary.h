// How a run is reported: summary.json for machines, a short text for people.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "runtime-sim/world.h"

namespace cairn::sim {

// summary.json: scenario, seed, sim_time_s, wall_time_s, trace_hash, events,
// checks {name: {pass, judged, detail, figures}}, metrics {name: value}, faults.
std::string summary_json(const RunResult& result);
std::string human_summary(const RunResult& result, const std::string& out_dir);
absl::Status write_summary(const RunResult& result, const std::string& out_dir);

}  // namespace cairn::sim
