// The Raft parts of a scenario: the membership actions in `faults:` and the checks
// raft_safety, linearizable and progress. (The `raft:` and `workload:` sections are role
// settings, read by runtime-real/settings/role_settings.h.) Documented for students in
// docs/scenarios-raft.md.
#include "absl/strings/str_cat.h"
#include "core/raft/testing/faults.h"
#include "runtime-sim/scenario_read.h"

namespace cairn::sim::yaml {
namespace {

NodeId meta_node(const YAML::Node& n, const Scenario& s) {
  const std::string name = scalar(n, "a node name");
  const NodeSpec* spec = s.find(name);
  if (spec == nullptr) {
    fail(n, absl::StrCat("no node named '", name, "' (nodes are n1..n", s.nodes.size(), ")"));
  }
  if (std::find(spec->roles.begin(), spec->roles.end(), "meta") == spec->roles.end()) {
    fail(n, absl::StrCat(name, " has no meta role"));
  }
  return spec->id;
}

}  // namespace

bool read_raft_action(const YAML::Node& f, const Scenario& s, Fault& out) {
  static const std::pair<const char*, FaultKind> kActions[] = {
      {"add_learner", FaultKind::kAddLearner},
      {"promote", FaultKind::kPromote},
      {"remove", FaultKind::kRemoveMember},
      {"transfer_leader", FaultKind::kTransferLeader}};
  for (const auto& [key, kind] : kActions) {
    if (!f[key]) continue;
    out.kind = kind;
    out.nodes = {meta_node(f[key], s)};
    return true;
  }
  return false;
}

void read_unsafe(const YAML::Node& n, Scenario& s) {
  only_keys(n, "unsafe", {"raft_bug"});
  if (!n["raft_bug"]) return;
  static const std::pair<const char*, raft::testing::Bug> kBugs[] = {
      {"none", raft::testing::Bug::kNone},
      {"vote_without_log_check", raft::testing::Bug::kVoteWithoutLogCheck},
      {"commit_old_term_by_count", raft::testing::Bug::kCommitOldTermByCount},
      {"ack_before_majority", raft::testing::Bug::kAckBeforeMajority}};
  const std::string name = scalar(n["raft_bug"], "raft_bug");
  for (const auto& [key, bug] : kBugs) {
    if (name != key) continue;
    if (bug != raft::testing::Bug::kNone && s.meta_ids().empty()) {
      fail(n["raft_bug"], "raft_bug needs nodes with the meta role");
    }
    s.raft_bug = bug;
    return;
  }
  fail(n["raft_bug"], absl::StrCat("unknown raft_bug '", name,
                                   "' (known: none, ack_before_majority, "
                                   "vote_without_log_check, commit_old_term_by_count)"));
}

bool read_raft_check(const std::string& name, const YAML::Node& n, CheckSpec& spec) {
  if (name == "raft_safety") {
    if (!n.IsNull()) only_keys(n, name, {});
  } else if (name == "linearizable" || name == "namespace_linearizable") {
    if (n.IsNull()) return true;
    only_keys(n, name,
              name == "linearizable" ? std::vector<std::string>{"max_steps", "want"}
                                     : std::vector<std::string>{"max_steps"});
    if (n["want"]) {
      const std::string want = scalar(n["want"], "want");
      if (want != "linearizable" && want != "violation") {
        fail(n["want"], "want must be linearizable (the default) or violation");
      }
      spec.want_violation = want == "violation";
    }
    if (n["max_steps"]) {
      spec.max_steps = static_cast<uint64_t>(integer(n["max_steps"], "max_steps", 1, INT64_MAX));
    }
  } else if (name == "progress") {
    if (n.IsNull()) fail(n, "progress needs {min_commits: N} and/or {after_last_fault: D}");
    only_keys(n, name, {"min_commits", "after_last_fault"});
    if (n["min_commits"]) {
      spec.min_count = integer(n["min_commits"], "min_commits", 0, INT64_MAX);
    }
    if (n["after_last_fault"]) {
      spec.max_duration = duration(n["after_last_fault"], "after_last_fault");
    }
    if (!spec.min_count && !spec.max_duration) {
      fail(n, "progress needs min_commits or after_last_fault");
    }
  } else {
    return false;
  }
  return true;
}

}  // namespace cairn::sim::yaml
