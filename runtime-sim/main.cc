// cairn-sim: runs a scenario in SimGrid and judges its checks.
//
//   cairn-sim run SCENARIO.yaml [--seed N] [--set KEY=VALUE ...] [--out DIR] [--verbose]
//                 [--progress | --no-progress]
//   cairn-sim check SCENARIO.yaml [--set KEY=VALUE ...]       (validate only)
//   cairn-sim sweep SCENARIO.yaml --seeds A..B [--set KEY=VALUE ...] [--jobs N] [--out DIR]
//                   [--slurm [--per-task N]]
//
// Exit status: 0 every check passed, 1 a check failed, 2 bad usage or a bad scenario.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <thread>

#include "absl/strings/numbers.h"
#include "labs/labs.h"
#include "runtime-sim/scenario.h"
#include "runtime-sim/summary.h"
#include "runtime-sim/sweep.h"
#include "runtime-sim/world.h"

namespace {

// The roles scenarios may use: the built-in ones and the teaching labs' (labs/labs.h).
const cairn::RoleRegistry& sim_roles() {
  static const cairn::RoleRegistry roles = cairn::labs::roles_with_labs();
  return roles;
}

// One line on stderr: rewritten in place on a terminal, a new line each time otherwise.
void print_progress(double sim_s, double end_s, double wall_s, bool tty) {
  const double done = end_s > 0 ? std::min(1.0, sim_s / end_s) : 1;
  std::fprintf(stderr, "%ssimulated %.0f of %.0f s (%3.0f%%), %.1f s wall", tty ? "\r" : "", sim_s,
               end_s, 100 * done, wall_s);
  if (done > 0 && done < 1) std::fprintf(stderr, ", about %.0f s left", wall_s * (1 - done) / done);
  std::fprintf(stderr, tty && done < 1 ? "   " : "\n");
  std::fflush(stderr);
}

int run(const std::string& path, const std::vector<cairn::sim::SetOverride>& sets,
        std::optional<uint64_t> seed, std::string out, bool verbose, bool progress) {
  auto scenario = cairn::sim::parse_scenario_file(path, sim_roles(), sets);
  if (!scenario.ok()) {
    std::cerr << scenario.status().message() << "\n";
    return 2;
  }
  if (seed) scenario->seed = *seed;
  cairn::sim::draw_random_faults(*scenario, scenario->seed);
  if (auto st = cairn::sim::validate(*scenario); !st.ok()) {
    std::cerr << st.message() << "\n";
    return 2;
  }
  if (out.empty()) out = "runs/" + scenario->name + "-seed" + std::to_string(scenario->seed);
  cairn::sim::RunOptions options{.out_dir = out, .verbose = verbose, .roles = &sim_roles()};
  if (progress) {
    const bool tty = isatty(STDERR_FILENO) != 0;
    options.on_progress = [tty](double sim_s, double end_s, double wall_s) {
      print_progress(sim_s, end_s, wall_s, tty);
    };
  }
  const cairn::sim::RunResult result = cairn::sim::run_scenario(*scenario, options);
  if (auto st = cairn::sim::write_summary(result, out); !st.ok()) {
    std::cerr << st.message() << "\n";
    return 2;
  }
  std::cout << cairn::sim::human_summary(result, out);
  return result.all_pass() ? 0 : 1;
}

// "A..B" with 0 <= A <= B <= INT64_MAX; says what is wrong on stderr otherwise.
bool parse_seed_range(const std::string& text, uint64_t& first, uint64_t& last) {
  const size_t dots = text.find("..");
  int64_t a = -1, b = -1;
  if (dots == std::string::npos || !absl::SimpleAtoi(text.substr(0, dots), &a) ||
      !absl::SimpleAtoi(text.substr(dots + 2), &b) || a < 0 || b < a) {
    std::cerr << "--seeds must be A..B with 0 <= A <= B (e.g. 1..50), got '" << text << "'\n";
    return false;
  }
  if (b - a >= 1000000) {
    std::cerr << "--seeds " << text << ": at most a million seeds in one sweep\n";
    return false;
  }
  first = static_cast<uint64_t>(a);
  last = static_cast<uint64_t>(b);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cairn-sim: run Cairn scenarios in a simulated cluster"};
  app.require_subcommand(1);
  std::string path, out;
  std::optional<int64_t> seed;  // signed, so that -1 is refused instead of wrapping around
  bool verbose = false;
  bool progress = isatty(STDERR_FILENO) != 0;
  auto* run_cmd = app.add_subcommand("run", "run a scenario and judge its checks");
  run_cmd->add_option("scenario", path, "scenario file (YAML)")->required();
  run_cmd->add_option("--seed", seed, "override the scenario's seed");
  std::vector<std::string> set_args;
  const char* set_help =
      "override a value of the scenario: KEY is a dotted path into its YAML (raft.pre_vote, "
      "faults.0.at), VALUE is YAML; repeatable";
  run_cmd->add_option("--set", set_args, set_help)->allow_extra_args(false);
  run_cmd->add_option("--out", out, "run folder (default runs/NAME-seedN)");
  run_cmd->add_flag("--verbose", verbose,
                    "print every trace event as it happens (faults, elections, suspicions ...) "
                    "and every node's log lines on stderr");
  run_cmd->add_flag("--progress,!--no-progress", progress,
                    "report simulated time reached every 2 s of wall time on stderr "
                    "(default: when stderr is a terminal)");
  auto* check_cmd = app.add_subcommand("check", "validate a scenario without running it");
  check_cmd->add_option("scenario", path, "scenario file (YAML)")->required();
  check_cmd->add_option("--set", set_args, set_help)->allow_extra_args(false);
  auto* sweep_cmd = app.add_subcommand("sweep", "run a scenario once per seed and tabulate");
  sweep_cmd->add_option("scenario", path, "scenario file (YAML)")->required();
  std::string seeds;
  sweep_cmd->add_option("--seeds", seeds, "seed range A..B (inclusive)")->required();
  sweep_cmd->add_option("--set", set_args, set_help)->allow_extra_args(false);
  int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  sweep_cmd->add_option("--jobs", jobs, "runs at a time (default: number of cores)")
      ->check(CLI::Range(1, 4096));
  sweep_cmd->add_option("--out", out, "sweep folder (default runs/NAME-sweep)");
  bool slurm = false;
  int per_task = 10;
  sweep_cmd->add_flag("--slurm", slurm,
                      "run the seeds as a Slurm job array (sbatch --wait), --jobs tasks at a "
                      "time; the folder must be shared with the compute nodes");
  sweep_cmd->add_option("--per-task", per_task, "with --slurm: seeds per array task (default 10)")
      ->check(CLI::Range(1, 1000000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (seed && *seed < 0) {
    std::cerr << "--seed must be a whole number from 0 to " << INT64_MAX << ", got " << *seed
              << "\n";
    return 2;
  }
  std::vector<cairn::sim::SetOverride> sets;
  for (const std::string& arg : set_args) {
    auto o = cairn::sim::parse_set(arg);
    if (!o.ok()) {
      std::cerr << o.status().message() << "\n";
      return 2;
    }
    sets.push_back(*std::move(o));
  }
  if (*sweep_cmd) {
    auto scenario = cairn::sim::parse_scenario_file(path, sim_roles(), sets);
    if (!scenario.ok()) {
      std::cerr << scenario.status().message() << "\n";
      return 2;
    }
    cairn::sim::SweepOptions options{.scenario = path,
                                     .set_args = set_args,
                                     .jobs = jobs,
                                     .slurm = slurm,
                                     .seeds_per_task = per_task};
    if (!parse_seed_range(seeds, options.first_seed, options.last_seed)) return 2;
    options.out = out.empty() ? "runs/" + scenario->name + "-sweep" : out;
    return cairn::sim::run_sweep(options);
  }
  if (*check_cmd) {
    auto scenario = cairn::sim::parse_scenario_file(path, sim_roles(), sets);
    if (!scenario.ok()) {
      std::cerr << scenario.status().message() << "\n";
      return 2;
    }
    std::cout << path << ": ok (" << scenario->nodes.size() << " nodes, " << scenario->faults.size()
              << " faults, " << scenario->checks.size() << " checks)\n";
    return 0;
  }
  return run(path, sets,
             seed ? std::optional<uint64_t>(static_cast<uint64_t>(*seed)) : std::nullopt, out,
             verbose, progress);
}
