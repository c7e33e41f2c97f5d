// `cairn-sim sweep`: one scenario run once per seed of a range, several at a time, each in
// a child process of the same binary (`cairn-sim run ... --seed S --out DIR/seedS`). The
// children's summary.json files become DIR/sweep.csv (one row per seed, in seed order, with
// no wall-clock figure, so the same sweep gives the same file) and a table: pass rate per
// check, p50/p90/max of every number, and a replay command for every failing seed; then
// analysis/plot_sweep.py draws DIR/sweep.png from the table. With `slurm`, the runs are a
// Slurm job array instead of local children (runtime-sim/sweep_slurm.h); the table and the
// plot are gathered the same way, so both paths give the same sweep.csv.
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
  std::string out;          // folder of the sweep
  bool slurm = false;       // submit a Slurm job array instead of running here
  int seeds_per_task = 10;  // Slurm: seeds one array task runs, one after another
};

// Runs the sweep; returns the exit status (0 every seed passed, 1 one failed, 2 the sweep
// could not run). Writes the table on stdout and problems on stderr.
int run_sweep(const SweepOptions& options);

}  // namespace cairn::sim
