#include "runtime-sim/summary.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "runtime-sim/trace.h"

namespace cairn::sim {

std::string summary_json(const RunResult& r) {
  std::string out = "{\n";
  absl::StrAppend(&out, "  \"scenario\": ", json_string(r.scenario), ",\n");
  absl::StrAppend(&out, "  \"seed\": ", r.seed, ",\n");
  absl::StrAppend(&out, "  \"sim_time_s\": ", json_number(r.sim_time_s), ",\n");
  absl::StrAppend(&out, "  \"wall_time_s\": ", absl::StrFormat("%.3f", r.wall_time_s), ",\n");
  absl::StrAppend(&out, "  \"trace_hash\": ", json_string(r.trace_hash), ",\n");
  absl::StrAppend(&out, "  \"events\": ", r.events, ",\n");
  absl::StrAppend(&out, "  \"pass\": ", r.all_pass() ? "true" : "false", ",\n");
  absl::StrAppend(&out, "  \"checks\": {");
  bool first = true;
  for (const auto& [name, c] : r.checks) {
    absl::StrAppend(&out, first ? "\n" : ",\n", "    ", json_string(name),
                    ": {\"pass\": ", c.pass ? "true" : "false",
                    ", \"judged\": ", c.judged ? "true" : "false",
                    ", \"detail\": ", json_string(c.detail), ", \"figures\": {");
    bool ffirst = true;
    for (const auto& [k, v] : c.figures) {
      absl::StrAppend(&out, ffirst ? "" : ", ", json_string(k), ": ", json_number(v));
      ffirst = false;
    }
    absl::StrAppend(&out, "}}");
    first = false;
  }
  absl::StrAppend(&out, first ? "},\n" : "\n  },\n");
  absl::StrAppend(&out, "  \"metrics\": {");
  first = true;
  for (const auto& [name, v] : r.metrics) {
    absl::StrAppend(&out, first ? "\n" : ",\n", "    ", json_string(name), ": ", json_number(v));
    first = false;
  }
  absl::StrAppend(&out, first ? "},\n" : "\n  },\n");
  absl::StrAppend(&out, "  \"faults\": ", json_string(r.fault_plan), "\n}\n");
  return out;
}

std::string human_summary(const RunResult& r, const std::string& out_dir) {
  std::string out;
  absl::StrAppend(&out, "scenario ", r.scenario, "  seed ", r.seed, "\n");
  absl::StrAppend(
      &out,
      absl::StrFormat("simulated %.1fs in %.2fs of wall time, %d events, %d messages\n",
                      r.sim_time_s, r.wall_time_s, r.events,
                      static_cast<int64_t>(
                          r.metrics.count("messages_sent") ? r.metrics.at("messages_sent") : 0)));
  if (!r.fault_plan.empty()) absl::StrAppend(&out, "faults:\n", r.fault_plan);
  absl::StrAppend(&out, r.report);
  absl::StrAppend(&out, "checks:\n");
  for (const auto& [name, c] : r.checks) {
    const char* verdict = !c.judged ? "n/a " : c.pass ? "PASS" : "FAIL";
    absl::StrAppend(&out, "  ", verdict, "  ", absl::StrFormat("%-17s", name), " ", c.detail, "\n");
  }
  if (r.checks.empty()) absl::StrAppend(&out, "  (none)\n");
  absl::StrAppend(&out, "trace_hash ", r.trace_hash, "\n");
  if (!out_dir.empty()) {
    absl::StrAppend(&out, "run folder ", out_dir, " (summary.json, events.jsonl, metrics.csv)\n");
  }
  absl::StrAppend(&out, r.all_pass() ? "result: all checks passed\n" : "result: CHECKS FAILED\n");
  return out;
}

absl::Status write_summary(const RunResult& r, const std::string& out_dir) {
  const std::string path = out_dir + "/summary.json";
  std::ofstream f(path);
  f << summary_json(r);
  if (!f) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace cairn::sim
