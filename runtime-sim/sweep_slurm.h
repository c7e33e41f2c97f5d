// `cairn-sim sweep --slurm`: the seeds of a sweep as one Slurm job array instead of local
// children. It writes DIR/sweep.sbatch, in which array task i runs `seeds_per_task`
// consecutive seeds one after another, each as `cairn-sim run SCENARIO --seed S --out
// DIR/seedS --no-progress` with its output in DIR/seedS.log and its exit status in
// DIR/seedS.exit; submits it with `sbatch --wait`, which returns once every task has
// ended; and reads the statuses back. At most `jobs` tasks run at once (`--array=...%jobs`).
// sbatch's own environment variables (SBATCH_PARTITION, SBATCH_ACCOUNT, ...) choose where
// it runs. The binary, the scenario and DIR are passed by absolute path, and the runs write
// into DIR, so DIR must be on a file system the compute nodes share with this machine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime-sim/sweep.h"

namespace cairn::sim {

// The sbatch script for `seeds` (consecutive, in order). `binary` is this program.
std::string slurm_script(const SweepOptions& o, const std::string& binary);

// Submits the sweep and waits for it. Returns each seed's exit status, in the order of
// `seeds` (-1: the seed left no status, e.g. its task was cancelled), or Unavailable when
// sbatch cannot be run or refuses the job (its message included).
// REQUIRES: seeds non-empty and consecutive; DIR exists.
absl::StatusOr<std::vector<int>> run_on_slurm(const SweepOptions& o,
                                              const std::vector<uint64_t>& seeds);

}  // namespace cairn::sim
