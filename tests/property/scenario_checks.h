// What every simulation property test does with one drawn scenario: run it in a child
// process (so a crash of the case is a failed case, not a dead test binary) and require a
// check to pass, failing the property with the check's own words.
#pragma once

#include <rapidcheck.h>

#include <string>

#include "runtime-sim/fork_runner.h"
#include "runtime-sim/scenario.h"

namespace cairn::sim {

inline RunResult run_case(const Scenario& scenario) {
  auto r = run_scenario_in_child(scenario, RunOptions{});
  RC_ASSERT(r.ok());
  return *r;
}

inline void assert_check(const RunResult& r, const std::string& name) {
  auto it = r.checks.find(name);
  RC_ASSERT(it != r.checks.end());
  if (!it->second.pass) RC_FAIL(name + ": " + it->second.detail);
}

}  // namespace cairn::sim
