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

namespace {

// The figures a lesson asks students to look at, named in words (summary.json has them all).
std::string key_figures(const std::map<std::string, double>& m) {
  auto get = [&](const char* name) -> int64_t {
    auto it = m.find(name);
    return it == m.end() ? -1 : static_cast<int64_t>(it->second);
  };
  std::string out;
  if (get("membership_suspicions_raised") >= 0) {
    absl::StrAppend(&out, "  failure detection: ", get("membership_suspicions_raised"),
                    " suspicions raised, ", std::max<int64_t>(0, get("membership_refutations")),
                    " refuted by the suspect (it raised its incarnation), ",
                    std::max<int64_t>(0, get("membership_deaths_declared")),
                    " deaths declared (summed over watchers)\n");
  }
  if (get("raft_leaders_elected") >= 0) {
    absl::StrAppend(&out, "  raft: ", std::max<int64_t>(0, get("raft_elections_started")),
                    " elections started (a candidate raised its term), ",
                    get("raft_leaders_elected"), " leaders elected, ",
                    std::max<int64_t>(0, get("raft_log_truncations")), " log truncations\n");
  }
  if (get("kv_ops_invoked") > 0) {  // key-value clients ran (file runs list their operations above)
    absl::StrAppend(&out, "  clients: ", get("kv_ops_invoked"), " operations invoked, ",
                    get("kv_ops_answered"), " answered, ",
                    get("kv_ops_invoked") - get("kv_ops_answered"), " never answered; ",
                    std::max<int64_t>(0, get("kv_writes_answered")), " writes committed\n");
  }
  return out.empty() ? out : "key figures:\n" + out;
}

}  // namespace

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
  absl::StrAppend(&out, key_figures(r.metrics));
  absl::StrAppend(&out, "checks:\n");
  for (const auto& [name, c] : r.checks) {
    const char* verdict = !c.judged ? "n/a " : c.pass ? "PASS" : "FAIL";
    absl::StrAppend(&out, "  ", verdict, "  ", absl::StrFormat("%-17s", name), " ", c.detail, "\n");
  }
  if (r.checks.empty()) absl::StrAppend(&out, "  (none)\n");
  absl::StrAppend(&out, "trace_hash ", r.trace_hash, "\n");
  if (!out_dir.empty()) {
    absl::StrAppend(&out, "run folder ", out_dir, " (summary.json, events.jsonl, metrics.csv",
                    r.metrics.contains("kv_ops_invoked") ? ", history.jsonl" : "", ")\n");
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
