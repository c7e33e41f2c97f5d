// `cairn-sim sweep`: one scenario run once per seed of a range, several at a time, each in
// a child process of the same binary (`cairn-sim run ... --seed S --out DIR/seedS`). The
// children's summary.json files become DIR/sweep.csv (one row per seed, in seed order, with
// no wall-clock figure, so the same sweep gives the same file) and a table: pass rate per
// check, p50/p90/max of every number, and a replay command for every failing seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cairn::sim {

struct SweepOptions {
  std::string scenario;               // path as given on the command line
  std::vector<std::string> set_args;  // "KEY=VALUE", passed on to every run
  uint64_t first_seed = 1, last_seed = 1;
  int jobs = 1;
  std::string out;  // folder of the sweep
};

// Runs the sweep; returns the exit status (0 every seed passed, 1 one failed, 2 the sweep
// could not run). Writes the table on stdout and problems on stderr.
int run_sweep(const SweepOptions& options);

}  // namespace cairn::sim
