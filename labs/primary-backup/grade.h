// Grading of the primary-backup lab: runs every grading scenario at pinned seeds, each in
// its own process, and reports for people what passed, what failed (the check, what it
// saw, a hint) and the command that replays a failing run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/runtime/role.h"

namespace cairn::labs::pb {

struct GradeOptions {
  std::string scenarios_dir = "labs/primary-backup/scenarios";
  std::vector<uint64_t> seeds{1, 2, 3};
  std::string out_dir = "runs/pb-grade";                  // one run folder per scenario and seed
  std::string cairn_sim = "build/runtime-sim/cairn-sim";  // as written in replay commands
  const RoleRegistry* roles = nullptr;                    // must hold the pb roles
};

struct GradeReport {
  int runs = 0;
  int passed = 0;
  std::string text;  // what a student reads
  bool all_pass() const { return runs > 0 && passed == runs; }
};

// Every *.yaml in scenarios_dir, in name order. A scenario that does not parse fails its
// runs with the parser's message.
GradeReport grade(const GradeOptions& options);

}  // namespace cairn::labs::pb
