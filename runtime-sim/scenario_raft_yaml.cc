// The Raft parts of a scenario: the `raft:` group settings, the client `workload:`, the
// membership actions in `faults:` and the checks raft_safety, linearizable and progress.
// Documented for students in docs/scenarios-raft.md.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime-sim/yaml_read.h"

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

// "20/s" or "20" -> 20 per second.
double rate(const YAML::Node& n) {
  std::string v = scalar(n, "rate");
  if (v.size() > 2 && v.compare(v.size() - 2, 2, "/s") == 0) v.resize(v.size() - 2);
  char* end = nullptr;
  const double r = std::strtod(v.c_str(), &end);
  if (v.empty() || end != v.c_str() + v.size() || !(r > 0) || r > 1e6) {
    fail(n, absl::StrCat("rate must be a positive rate like 20/s, got '", n.Scalar(), "'"));
  }
  return r;
}

}  // namespace

void read_raft(const YAML::Node& n, Scenario& s) {
  only_keys(n, "raft",
            {"voters", "tick", "election_timeout", "heartbeat", "pre_vote", "check_quorum",
             "snapshot_every"});
  RaftSpec& r = s.raft;
  if (n["voters"]) {
    if (!n["voters"].IsSequence()) fail(n["voters"], "voters must be a list like [n1, n2, n3]");
    for (const auto& v : n["voters"]) r.voters.push_back(meta_node(v, s));
  }
  if (n["tick"]) r.tick = duration(n["tick"], "tick");
  if (n["election_timeout"]) {
    std::tie(r.election_min, r.election_max) =
        duration_range(n["election_timeout"], "election_timeout");
  }
  if (n["heartbeat"]) r.heartbeat = duration(n["heartbeat"], "heartbeat");
  if (n["pre_vote"]) r.pre_vote = boolean(n["pre_vote"], "pre_vote");
  if (n["check_quorum"]) r.check_quorum = boolean(n["check_quorum"], "check_quorum");
  if (n["snapshot_every"]) {
    r.snapshot_every =
        static_cast<uint64_t>(integer(n["snapshot_every"], "snapshot_every", 0, 1'000'000'000));
  }
  if (r.tick <= Duration(0)) fail(n, "raft tick must be positive");
  if (r.heartbeat < r.tick) fail(n, "raft heartbeat must be at least one tick");
  if (r.election_min <= r.heartbeat) fail(n, "election_timeout must be longer than heartbeat");
}

void read_workload(const YAML::Node& n, Scenario& s) {
  only_keys(n, "workload",
            {"clients", "rate", "keys", "mix", "start", "until", "timeout", "retries"});
  WorkloadSpec& w = s.workload;
  if (!n["clients"]) fail(n, "a workload needs 'clients' (how many)");
  w.clients = static_cast<int>(integer(n["clients"], "clients", 0, 1000));
  if (n["rate"]) w.rate_per_s = rate(n["rate"]);
  if (n["keys"]) w.keys = static_cast<int>(integer(n["keys"], "keys", 1, 1'000'000));
  if (const YAML::Node& m = n["mix"]) {
    only_keys(m, "mix", {"put", "get", "cas", "delete"});
    w.put = m["put"] ? number(m["put"], "put", 0, 1) : 0;
    w.get = m["get"] ? number(m["get"], "get", 0, 1) : 0;
    w.cas = m["cas"] ? number(m["cas"], "cas", 0, 1) : 0;
    w.del = m["delete"] ? number(m["delete"], "delete", 0, 1) : 0;
    if (std::fabs(w.put + w.get + w.cas + w.del - 1) > 1e-6) {
      fail(m, "mix must add up to 1 (e.g. {put: 0.5, get: 0.3, cas: 0.2})");
    }
  }
  if (n["start"]) w.start = duration(n["start"], "start");
  if (n["until"]) w.until = duration(n["until"], "until");
  if (n["timeout"]) w.timeout = duration(n["timeout"], "timeout");
  if (n["retries"]) w.retries = static_cast<int>(integer(n["retries"], "retries", 1, 255));
  if (w.timeout <= Duration(0)) fail(n["timeout"], "timeout must be positive");
  if (w.until && *w.until > s.duration) fail(n["until"], "until is after the end of the run");
}

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

bool read_raft_check(const std::string& name, const YAML::Node& n, CheckSpec& spec) {
  if (name == "raft_safety") {
    if (!n.IsNull()) only_keys(n, name, {});
  } else if (name == "linearizable") {
    if (n.IsNull()) return true;
    only_keys(n, name, {"max_steps"});
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
