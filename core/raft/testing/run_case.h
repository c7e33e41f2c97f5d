// Runs one fault Schedule on the in-memory cluster harness and judges it (test tool). The
// property tests, the pinned regression cases and the soak runs all go through run_case,
// so a schedule printed by a failing property replays exactly as a plain test.
//
// A case passes when Raft's safety checker and the linearizability checker find nothing,
// no message storm exhausted the delivery budget, and a write commits within 1500 steps
// after the faults stop (heal, calm, restart every node that is down).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/check/linearizability.h"
#include "core/raft/testing/schedule.h"

namespace cairn::raft::testing {

struct Outcome {
  std::vector<std::string> failures;  // empty: the case passed
  check::LinVerdict verdict = check::LinVerdict::kLinearizable;
  uint64_t completed_ops = 0;
};

Outcome run_case(const Schedule& s);

}  // namespace cairn::raft::testing
