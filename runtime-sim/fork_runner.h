// One simulation per process, on demand: SimGrid cannot start a second clean engine in a
// process, so tests and benchmarks run each simulation in a forked child and get its
// result back through a pipe. A child that crashes or aborts (a broken invariant) comes
// back as an Internal error naming the signal, never as a hung or crashed parent.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "runtime-sim/world.h"

namespace cairn::sim {

// Runs `fn` in a forked child and returns the string it produced.
absl::StatusOr<std::string> run_in_child(const std::function<std::string()>& fn);

// Runs the scenario in a forked child and returns its result.
absl::StatusOr<RunResult> run_scenario_in_child(const Scenario& scenario,
                                                const RunOptions& options);

// RunResult to and from a line-oriented text form (used across the pipe).
std::string encode_result(const RunResult& result);
absl::StatusOr<RunResult> decode_result(const std::string& text);

}  // namespace cairn::sim
