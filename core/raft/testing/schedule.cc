#include "core/raft/testing/schedule.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace cairn::raft::testing {

namespace {

std::string side(uint32_t mask, uint32_t total, bool inside) {
  std::string out = "{";
  for (uint32_t i = 1; i <= total; ++i) {
    if (((mask >> (i - 1)) & 1U) != (inside ? 1U : 0U)) continue;
    absl::StrAppend(&out, out.size() > 1 ? "," : "", "n", i);
  }
  return out + "}";
}

const char* bug_name(Bug bug) {
  switch (bug) {
    case Bug::kNone:
      return "none";
    case Bug::kVoteWithoutLogCheck:
      return "vote-without-log-check";
    case Bug::kCommitOldTermByCount:
      return "commit-old-term-by-count";
    case Bug::kAckBeforeMajority:
      return "ack-before-majority";
  }
  return "?";
}

}  // namespace

std::string to_string(const FaultEvent& e) {
  const std::string n = absl::StrCat("n", e.node);
  std::string what;
  switch (e.kind) {
    case FaultKind::kCrash:
      what = absl::StrCat("crash ", n);
      break;
    case FaultKind::kRestart:
      what = absl::StrCat("restart ", n);
      break;
    case FaultKind::kIsolate:
      what = absl::StrCat("isolate ", n);
      break;
    case FaultKind::kPartition:
      what = absl::StrCat("partition ", side(e.mask, 16, true), " | rest");
      break;
    case FaultKind::kHeal:
      what = "heal";
      break;
    case FaultKind::kLoss:
      what = absl::StrCat("loss ", e.amount, "%");
      break;
    case FaultKind::kDuplicate:
      what = absl::StrCat("duplicate ", e.amount, "%");
      break;
    case FaultKind::kDelay:
      what = absl::StrCat("delay up to ", e.amount, " steps");
      break;
    case FaultKind::kCalm:
      what = "calm network";
      break;
    case FaultKind::kTransferLeader:
      what = absl::StrCat("transfer leadership to ", n);
      break;
    case FaultKind::kAddLearner:
      what = absl::StrCat("add learner ", n);
      break;
    case FaultKind::kPromote:
      what = absl::StrCat("promote ", n);
      break;
    case FaultKind::kRemove:
      what = absl::StrCat("remove ", n);
      break;
  }
  return absl::StrCat("step ", e.at_step, ": ", what);
}

std::string to_string(const Schedule& s) {
  std::string out = absl::StrCat("Schedule{", s.nodes, " nodes", s.spares ? " + " : "",
                                 s.spares ? absl::StrCat(s.spares, " spares") : "", ", seed ",
                                 s.seed, ", batch ", s.batch, ", faults until step ", s.fault_steps,
                                 ", bug ", bug_name(s.bug), "}\n");
  std::vector<FaultEvent> sorted = s.events;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const FaultEvent& a, const FaultEvent& b) { return a.at_step < b.at_step; });
  for (const FaultEvent& e : sorted) absl::StrAppend(&out, "  ", to_string(e), "\n");
  absl::StrAppend(&out, "  step ", s.fault_steps, ": heal, calm, restart all; then check");
  return out;
}

std::ostream& operator<<(std::ostream& os, const Schedule& s) { return os << to_string(s); }

void showValue(const Schedule& s, std::ostream& os) { os << to_string(s); }

}  // namespace cairn::raft::testing
