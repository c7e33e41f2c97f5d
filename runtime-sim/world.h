// Runs one scenario in SimGrid: builds the platform, starts every node's services on its
// own actor and host, applies the fault schedule, samples metrics, records the trace,
// and judges the scenario's checks.
//
// SimGrid allows one clean engine per process: run_scenario() may be called once per
// process (tests fork a child per run, see fork_runner.h). Same scenario and seed give a
// byte-identical trace and the same trace_hash.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/check/detection.h"
#include "core/runtime/log.h"
#include "core/runtime/service.h"
#include "runtime-sim/scenario.h"

namespace cairn::sim {

struct RunOptions {
  std::string out_dir;   // empty: write no files (the trace is still hashed)
  bool verbose = false;  // print every trace event as it happens, and node log lines, to stderr
  // Called with every trace event, inside the simulation's process (papers/ use it to time
  // elections without writing a trace). Returning true ends the run early, within
  // kStopPollInterval of simulated time. Without a hook a run is unchanged, byte for byte.
  std::function<bool(Time at, std::string_view node, const Event& event)> on_event;
  // Builds one more service for every node at each boot, beside its roles' (tests and
  // experiments drive the runtime through it). Its message types must not clash.
  std::function<std::unique_ptr<Service>(Runtime& rt, const NodeSpec& spec)> extra_service;
  // The roles nodes may hold (not owned; null: the built-in ones, core/roles/builtin.h).
  // The scenario must have been parsed with the same registry.
  const RoleRegistry* roles = nullptr;
  // Hooks lent to every role besides the run's own (e.g. observers of a test's role). Set
  // after the run's own: replacing one of those (such as the MembershipObserver) leaves its
  // checks without input.
  std::function<void(Hooks&)> add_hooks;
  // Called with the simulated time reached, the run's end and the wall seconds so far, at
  // most once per `progress_interval_s` of wall time (and once at the end). Watching
  // progress reads the wall clock only: the simulation and its trace are unchanged.
  std::function<void(double sim_s, double end_s, double wall_s)> on_progress;
  double progress_interval_s = 2;
};

// How often a run with an on_event hook checks whether the hook asked it to stop.
inline constexpr Duration kStopPollInterval = std::chrono::milliseconds(5);

struct CheckResult {
  bool pass = true;
  bool judged = true;
  std::string detail;
  std::map<std::string, double> figures;
};

struct RunResult {
  std::string scenario;
  uint64_t seed = 0;
  double sim_time_s = 0;
  double wall_time_s = 0;
  std::string trace_hash;
  uint64_t events = 0;
  std::map<std::string, CheckResult> checks;
  std::map<std::string, double> metrics;  // run-wide totals
  std::string fault_plan;                 // describe_faults() of what was applied
  std::string report;                     // lines for people (file operation latencies)

  bool all_pass() const;
};

// REQUIRES: validate(scenario).ok(); no other run in this process before.
RunResult run_scenario(const Scenario& scenario, const RunOptions& options);

}  // namespace cairn::sim
