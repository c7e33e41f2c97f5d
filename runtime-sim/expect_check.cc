#include "runtime-sim/expect_check.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/base/units.h"

namespace cairn::sim {

void CounterTotals::add(Time at, const std::map<std::string, double>& totals) {
  if (!samples_.empty() && samples_.back().first == at) {
    samples_.back().second = totals;
    return;
  }
  samples_.push_back({at, totals});
}

std::optional<double> CounterTotals::increase(const std::string& name, Duration from,
                                              Duration to) const {
  auto value_at = [&](Duration t) -> std::optional<double> {
    std::optional<double> v;
    for (const auto& [at, totals] : samples_) {
      if (at.time_since_epoch() > t) break;
      auto it = totals.find(name);
      v = it == totals.end() ? 0 : it->second;
    }
    return v;
  };
  const std::optional<double> a = value_at(from), b = value_at(to);
  bool seen = false;
  for (const auto& sample : samples_) seen |= sample.second.contains(name);
  if (!seen || !b) return std::nullopt;
  return *b - a.value_or(0);
}

CheckResult judge_expect(const CheckSpec& spec, Duration run_end, const CounterTotals& totals,
                         const std::function<int64_t(Duration, Duration)>& writes,
                         const RunFigure& run_figure) {
  CheckResult r;
  std::vector<std::string> parts, problems;
  for (const Expectation& e : spec.expect) {
    const Duration to = std::min(e.to.value_or(run_end), run_end);
    std::optional<double> value;
    if (run_figure) value = run_figure(e.figure, e.from, to);
    if (value) {
      // a figure of the run itself
    } else if (e.figure == "writes" || e.figure == "writes_per_s") {
      if (writes) {
        value = static_cast<double>(writes(e.from, to));
        if (e.figure == "writes_per_s") *value /= std::max(1e-9, to_seconds(to - e.from));
      }
    } else {
      value = totals.increase(e.figure, e.from, to);
    }
    const std::string window =
        e.to ? absl::StrCat(" in ", format_duration(e.from), "-", format_duration(to)) : "";
    if (!value) {
      problems.push_back(absl::StrCat(
          "line ", e.line, ": this run has no figure '", e.figure,
          "' (a node counter of metrics.csv, or writes, "
          "writes_per_s with Raft clients, placement_* with placement: and a change in "
          "the window)"));
      continue;
    }
    const std::string shown =
        absl::StrCat(e.figure, window, " = ", absl::StrFormat("%.4g", *value));
    r.figures[absl::StrCat(e.figure, window)] = *value;
    if (e.min && *value < *e.min) {
      problems.push_back(absl::StrCat(shown, ", want >= ", *e.min));
    } else if (e.max && *value > *e.max) {
      problems.push_back(absl::StrCat(shown, ", want <= ", *e.max));
    } else {
      parts.push_back(shown);
    }
  }
  r.pass = problems.empty();
  r.detail = r.pass ? absl::StrJoin(parts, "; ") : absl::StrJoin(problems, "; ");
  return r;
}

}  // namespace cairn::sim
