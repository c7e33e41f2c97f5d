// cairn-sim: runs a scenario in SimGrid and judges its checks.
//
//   cairn-sim run SCENARIO.yaml [--seed N] [--out DIR] [--verbose]
//   cairn-sim check SCENARIO.yaml        (validate only)
//
// Exit status: 0 every check passed, 1 a check failed, 2 bad usage or a bad scenario.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "runtime-sim/scenario.h"
#include "runtime-sim/summary.h"
#include "runtime-sim/world.h"

namespace {

int run(const std::string& path, std::optional<uint64_t> seed, std::string out, bool verbose) {
  auto scenario = cairn::sim::parse_scenario_file(path);
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
  cairn::sim::RunOptions options{.out_dir = out, .verbose = verbose};
  const cairn::sim::RunResult result = cairn::sim::run_scenario(*scenario, options);
  if (auto st = cairn::sim::write_summary(result, out); !st.ok()) {
    std::cerr << st.message() << "\n";
    return 2;
  }
  std::cout << cairn::sim::human_summary(result, out);
  return result.all_pass() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cairn-sim: run Cairn scenarios in a simulated cluster"};
  app.require_subcommand(1);
  std::string path, out;
  std::optional<uint64_t> seed;
  bool verbose = false;
  auto* run_cmd = app.add_subcommand("run", "run a scenario and judge its checks");
  run_cmd->add_option("scenario", path, "scenario file (YAML)")->required();
  run_cmd->add_option("--seed", seed, "override the scenario's seed");
  run_cmd->add_option("--out", out, "run folder (default runs/NAME-seedN)");
  run_cmd->add_flag("--verbose", verbose, "print every node's log lines");
  auto* check_cmd = app.add_subcommand("check", "validate a scenario without running it");
  check_cmd->add_option("scenario", path, "scenario file (YAML)")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (*check_cmd) {
    auto scenario = cairn::sim::parse_scenario_file(path);
    if (!scenario.ok()) {
      std::cerr << scenario.status().message() << "\n";
      return 2;
    }
    std::cout << path << ": ok (" << scenario->nodes.size() << " nodes, " << scenario->faults.size()
              << " faults, " << scenario->checks.size() << " checks)\n";
    return 0;
  }
  return run(path, seed, out, verbose);
}
