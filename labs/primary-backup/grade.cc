#include "labs/primary-backup/grade.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/assert.h"
#include "runtime-sim/fork_runner.h"
#include "runtime-sim/scenario.h"

namespace cairn::labs::pb {
namespace {

// What a failed check usually means in this lab.
std::string hint(const std::string& check) {
  static const std::map<std::string, std::string> kHints = {
      {"progress",
       "operations did not complete: does the primary answer clients, forward to the backup "
       "and acknowledge its view (ack_view) once its backup holds the store? Is a lost "
       "message resent in on_tick?"},
      {"linearizable",
       "a client saw a result that no single order of the operations explains: did a server "
       "answer without its backup (a read from its own store after it lost its post), did a "
       "new backup start without the primary's store (a view acknowledged before the "
       "StateReply), or did a backup apply a forward from a primary of another view?"},
  };
  auto it = kHints.find(check);
  return it == kHints.end() ? "" : it->second;
}

// "1407 writes acknowledged, 2035 operations linearizable" from the checks' figures.
std::string figures(const sim::RunResult& r) {
  auto figure = [&](const char* check, const char* name) -> int64_t {
    auto c = r.checks.find(check);
    if (c == r.checks.end()) return -1;
    auto f = c->second.figures.find(name);
    return f == c->second.figures.end() ? -1 : static_cast<int64_t>(f->second);
  };
  return absl::StrCat(figure("progress", "writes_acknowledged"), " writes acknowledged, ",
                      figure("linearizable", "operations"), " operations linearizable");
}

std::vector<std::string> scenario_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".yaml") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// One run: a line for a pass; for a failure, each failed check, its hint and the replay.
void grade_run(const GradeOptions& o, const std::string& file, const sim::Scenario& parsed,
               uint64_t seed, GradeReport& report) {
  sim::Scenario s = parsed;
  s.seed = seed;
  ++report.runs;
  const std::string name = std::filesystem::path(file).stem().string();
  const std::string replay = absl::StrCat(o.cairn_sim, " run ", file, " --seed ", seed);
  const std::string out = absl::StrCat(o.out_dir, "/", name, "-seed", seed);
  auto result = sim::run_scenario_in_child(s, sim::RunOptions{.out_dir = out, .roles = o.roles});
  if (!result.ok()) {
    absl::StrAppend(&report.text,
                    absl::StrFormat("  FAIL  %-18s seed %-3d the run crashed: %s\n", name, seed,
                                    result.status().message()),
                    "        (a broken assertion in your server? replay it to see)\n",
                    "        replay: ", replay, "\n");
    return;
  }
  if (result->all_pass()) {
    ++report.passed;
    absl::StrAppend(&report.text,
                    absl::StrFormat("  pass  %-18s seed %-3d %s\n", name, seed, figures(*result)));
    return;
  }
  absl::StrAppend(&report.text, absl::StrFormat("  FAIL  %-18s seed %d\n", name, seed));
  for (const auto& [check, c] : result->checks) {
    if (c.pass) continue;
    absl::StrAppend(&report.text, "        ", check, ": ", c.detail, "\n");
    if (!hint(check).empty()) absl::StrAppend(&report.text, "        hint: ", hint(check), "\n");
  }
  absl::StrAppend(&report.text, "        replay: ", replay, "\n", "        run folder: ", out,
                  " (history.jsonl: every operation; events.jsonl: pb_view changes)\n");
}

}  // namespace

GradeReport grade(const GradeOptions& o) {
  CAIRN_ASSERT(o.roles != nullptr);
  GradeReport report;
  const std::vector<std::string> files = scenario_files(o.scenarios_dir);
  if (files.empty()) {
    report.text = absl::StrCat("no grading scenarios (*.yaml) in ", o.scenarios_dir,
                               ": run from the top of the repository\n");
    return report;
  }
  for (const std::string& file : files) {
    auto s = sim::parse_scenario_file(file, *o.roles);
    if (!s.ok()) {
      report.runs += static_cast<int>(o.seeds.size());
      absl::StrAppend(&report.text, "  FAIL  ", s.status().message(), "\n");
      continue;
    }
    for (uint64_t seed : o.seeds) grade_run(o, file, *s, seed, report);
  }
  absl::StrAppend(&report.text, "\n", report.passed, " of ", report.runs, " runs passed",
                  report.all_pass() ? ": the lab is done.\n"
                                    : " (replay a failing one with the command shown).\n");
  return report;
}

}  // namespace cairn::labs::pb
