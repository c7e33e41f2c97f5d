#include "core/check/detection.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/assert.h"
#include "core/base/units.h"

namespace cairn::check {
namespace {

using membership::State;

std::string at_s(Time t) { return format_duration(t.time_since_epoch()); }

// Collects failures; keeps the first few for the detail line.
struct Failures {
  int64_t count = 0;
  std::string first;
  void add(const std::string& what) {
    if (count++ < 3) absl::StrAppend(&first, first.empty() ? "" : "; ", what);
  }
};

Verdict timing_verdict(const std::vector<double>& latencies, const Failures& failed, Duration max,
                       const char* what) {
  Verdict v;
  v.figures["count"] = static_cast<double>(latencies.size());
  v.figures["failures"] = static_cast<double>(failed.count);
  if (latencies.empty() && failed.count == 0) {
    v.judged = false;
    v.detail = absl::StrCat("no ", what, " to judge");
    return v;
  }
  double worst = 0, sum = 0;
  for (double l : latencies) {
    worst = std::max(worst, l);
    sum += l;
  }
  v.figures["max_s"] = worst;
  v.figures["mean_s"] = latencies.empty() ? 0 : sum / static_cast<double>(latencies.size());
  v.pass = failed.count == 0;
  v.detail = absl::StrFormat("%d %s, max %.3fs, mean %.3fs (bound %s)", latencies.size(), what,
                             worst, v.figures["mean_s"], format_duration(max));
  if (!v.pass) absl::StrAppend(&v.detail, "; ", failed.count, " missed: ", failed.first);
  return v;
}

}  // namespace

void GroundTruth::restart(NodeId node, Time at) {
  restarts_.push_back({node, at});
  auto& intervals = down_[node];
  CAIRN_ASSERT(!intervals.empty() && intervals.back().second == kForever);
  intervals.back().second = at;
}

bool GroundTruth::up(NodeId node, Time at) const {
  auto it = down_.find(node);
  if (it == down_.end()) return true;
  for (auto [from, to] : it->second) {
    if (at >= from && at < to) return false;
  }
  return true;
}

bool GroundTruth::up_throughout(NodeId node, Time from, Time to) const {
  auto it = down_.find(node);
  if (it == down_.end()) return true;
  for (auto [a, b] : it->second) {
    if (a <= to && from < b) return false;
  }
  return true;
}

bool GroundTruth::troubled(NodeId node, Time from, Time to) const {
  if (!up_throughout(node, from, to)) return true;
  auto it = disturbed_.find(node);
  if (it == disturbed_.end()) return false;
  for (auto [a, b] : it->second) {
    if (a <= to && from < b) return true;
  }
  return false;
}

Time GroundTruth::last_change() const {
  Time last{};
  for (auto& [n, t] : crashes_) last = std::max(last, t);
  for (auto& [n, t] : restarts_) last = std::max(last, t);
  for (Time t : heals_) last = std::max(last, t);
  for (auto& [n, intervals] : disturbed_) {
    for (auto [a, b] : intervals) last = std::max(last, b == kForever ? a : b);
  }
  return last;
}

DetectionChecker::DetectionChecker(const GroundTruth& truth, std::vector<Observation> observations,
                                   Time end)
    : truth_(truth), end_(end) {
  for (const Observation& o : observations) {
    auto& h = history_[{o.observer, o.target}];
    CAIRN_ASSERT(h.empty() || h.back().first <= o.at);
    h.push_back({o.at, o.state});
  }
}

State DetectionChecker::belief(NodeId observer, NodeId target, Time at) const {
  auto it = history_.find({observer, target});
  State s = State::kAlive;
  if (it == history_.end()) return s;
  for (auto [t, state] : it->second) {
    if (t > at) break;
    s = state;
  }
  return s;
}

Time DetectionChecker::first_belief(NodeId observer, NodeId target, State state, Time from) const {
  if (belief(observer, target, from) == state) return from;
  auto it = history_.find({observer, target});
  if (it == history_.end()) return Time::max();
  for (auto [t, s] : it->second) {
    if (t > from && s == state) return t;
  }
  return Time::max();
}

Verdict DetectionChecker::detection_time(Duration max) const {
  std::vector<double> latencies;
  Failures failed;
  for (auto [x, crashed] : truth_.crashes()) {
    Time back = GroundTruth::kForever;
    for (auto [n, t] : truth_.restarts()) {
      if (n == x && t > crashed) back = std::min(back, t);
    }
    const Time deadline = crashed + max;
    for (NodeId y : truth_.nodes()) {
      if (y == x || !truth_.up_throughout(y, crashed, std::min(deadline, end_))) continue;
      const Time seen = first_belief(y, x, State::kDead, crashed);
      if (seen <= deadline && seen < back) {
        latencies.push_back(to_seconds(seen - crashed));
      } else if (back > deadline && deadline <= end_) {
        failed.add(absl::StrCat("n", y, " did not see n", x, " dead within ", format_duration(max),
                                " of its crash at ", at_s(crashed)));
      }
    }
  }
  return timing_verdict(latencies, failed, max, "detections");
}

Verdict DetectionChecker::recovery_time(Duration max) const {
  std::vector<double> latencies;
  Failures failed;
  for (auto [x, restarted] : truth_.restarts()) {
    const Time deadline = restarted + max;
    if (!truth_.up_throughout(x, restarted, std::min(deadline, end_))) continue;
    for (NodeId y : truth_.nodes()) {
      if (y == x || !truth_.up_throughout(y, restarted, std::min(deadline, end_))) continue;
      const Time seen = first_belief(y, x, State::kAlive, restarted);
      if (seen <= deadline) {
        latencies.push_back(to_seconds(seen - restarted));
      } else if (deadline <= end_) {
        failed.add(absl::StrCat("n", y, " did not see n", x, " alive within ", format_duration(max),
                                " of its restart at ", at_s(restarted)));
      }
    }
  }
  return timing_verdict(latencies, failed, max, "recoveries");
}

Verdict DetectionChecker::heal_time(Duration max) const {
  std::vector<double> latencies;
  Failures failed;
  for (Time healed : truth_.heals()) {
    const Time deadline = healed + max;
    if (deadline > end_) continue;
    for (NodeId y : truth_.nodes()) {
      for (NodeId x : truth_.nodes()) {
        if (x == y || truth_.troubled(x, healed + Duration(1), deadline) ||
            truth_.troubled(y, healed + Duration(1), deadline)) {
          continue;
        }
        const Time seen = first_belief(y, x, State::kAlive, healed);
        if (seen <= deadline) {
          latencies.push_back(to_seconds(seen - healed));
        } else {
          failed.add(absl::StrCat("n", y, " did not see n", x, " alive within ",
                                  format_duration(max), " of the heal at ", at_s(healed)));
        }
      }
    }
  }
  return timing_verdict(latencies, failed, max, "pairs healed");
}

Verdict DetectionChecker::false_reports(State state, int64_t max, Duration window) const {
  Failures found;
  int64_t reports = 0;
  for (const auto& [pair, h] : history_) {
    auto [y, x] = pair;
    for (auto [t, s] : h) {
      if (s != state) continue;
      ++reports;
      if (truth_.troubled(x, t - window, t) || truth_.troubled(y, t - window, t)) continue;
      found.add(absl::StrCat("n", y, " ", state == State::kDead ? "declared" : "suspected", " n", x,
                             " at ", at_s(t)));
    }
  }
  Verdict v;
  v.figures["false"] = static_cast<double>(found.count);
  v.figures["reports"] = static_cast<double>(reports);
  v.pass = found.count <= max;
  // "x of y": y = every time one watcher marked one node so, x = those that were false.
  const char* what = state == State::kDead ? "declarations of death" : "suspicions";
  v.detail = absl::StrCat(found.count, " of ", reports, " ", what,
                          " (one watcher marking one node) were false (max ", max, ")");
  if (found.count > 0) absl::StrAppend(&v.detail, ": ", found.first);
  return v;
}

Verdict DetectionChecker::false_suspicions(int64_t max, Duration window) const {
  return false_reports(State::kSuspect, max, window);
}

Verdict DetectionChecker::false_deaths(int64_t max, Duration window) const {
  return false_reports(State::kDead, max, window);
}

Verdict DetectionChecker::converged(Duration settle) const {
  Verdict v;
  if (end_ - truth_.last_change() < settle) {
    v.judged = false;
    v.detail = absl::StrCat("not judged: the last fault is less than ", format_duration(settle),
                            " before the end");
    return v;
  }
  Failures wrong;
  for (NodeId y : truth_.nodes()) {
    if (!truth_.up(y, end_)) continue;
    for (NodeId x : truth_.nodes()) {
      const State expected = truth_.up(x, end_) ? State::kAlive : State::kDead;
      const State seen = belief(y, x, end_);
      if (x != y && seen != expected) {
        wrong.add(absl::StrCat("n", y, " sees n", x, " ", std::string(membership::state_name(seen)),
                               ", not ", std::string(membership::state_name(expected))));
      }
    }
  }
  v.pass = wrong.count == 0;
  v.figures["disagreements"] = static_cast<double>(wrong.count);
  v.detail = v.pass ? "every up node has the true view"
                    : absl::StrCat(wrong.count, " wrong: ", wrong.first);
  return v;
}

}  // namespace cairn::check
