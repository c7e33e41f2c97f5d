#include "runtime-sim/raft_run.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/assert.h"
#include "core/base/units.h"
#include "runtime-sim/sim_world.h"

namespace cairn::sim {
namespace {

int ticks(Duration d, Duration tick) {
  return static_cast<int>(
      std::llround(static_cast<double>(d.count()) / static_cast<double>(tick.count())));
}

raft::wire::AdminOp admin_op(FaultKind kind) {
  switch (kind) {
    case FaultKind::kAddLearner:
      return raft::wire::ADMIN_ADD_LEARNER;
    case FaultKind::kPromote:
      return raft::wire::ADMIN_PROMOTE;
    case FaultKind::kRemoveMember:
      return raft::wire::ADMIN_REMOVE;
    default:
      return raft::wire::ADMIN_TRANSFER_LEADER;
  }
}

}  // namespace

RaftRun::RaftRun(const Scenario& scenario) : scenario_(scenario) {}

std::vector<NodeSpec> RaftRun::client_specs() const {
  std::vector<NodeSpec> out;
  auto next_id = static_cast<NodeId>(scenario_.nodes.size() + 1);
  for (int i = 1; i <= scenario_.workload.clients; ++i) {
    out.push_back(NodeSpec{next_id++, absl::StrCat("c", i), "clients", {"kv_client"}});
  }
  if (scenario_.has_raft_actions()) {
    out.push_back(NodeSpec{next_id++, "admin", "clients", {"raft_admin"}});
  }
  return out;
}

raft::RaftServiceConfig RaftRun::service_config() const {
  const RaftSpec& r = scenario_.raft;
  raft::RaftServiceConfig c;
  c.voters = scenario_.voter_ids();
  c.tick = r.tick;
  c.raft.election_ticks = std::max(2, ticks(r.election_min, r.tick));
  c.raft.election_jitter_ticks = std::max(0, ticks(r.election_max - r.election_min, r.tick));
  c.raft.heartbeat_ticks = std::clamp(ticks(r.heartbeat, r.tick), 1, c.raft.election_ticks - 1);
  c.raft.pre_vote = r.pre_vote;
  c.raft.check_quorum = r.check_quorum;
  c.snapshot_every = r.snapshot_every;
  c.observer = const_cast<check::RaftSafetyRecorder*>(&recorder_);
  return c;
}

raft::KvWorkload RaftRun::workload() const {
  const WorkloadSpec& w = scenario_.workload;
  raft::KvWorkload k;
  k.rate_per_s = w.rate_per_s;
  k.keys = static_cast<uint32_t>(w.keys);
  k.put = w.put;
  k.get = w.get;
  k.cas = w.cas;
  k.del = w.del;
  k.start = w.start;
  k.until = w.until.value_or(scenario_.duration);
  k.timeout = w.timeout;
  k.max_attempts = static_cast<uint32_t>(w.retries);
  return k;
}

std::unique_ptr<Service> RaftRun::make_service(Runtime& rt, const NodeSpec& spec) {
  const auto& roles = spec.roles;
  if (std::find(roles.begin(), roles.end(), "meta") != roles.end()) {
    return std::make_unique<raft::RaftService>(rt, service_config());
  }
  raft::KvWorkload w = workload();
  std::vector<raft::AdminAction> actions;
  if (std::find(roles.begin(), roles.end(), "raft_admin") != roles.end()) {
    w.rate_per_s = 0;
    for (const Fault& f : scenario_.faults) {
      if (!is_raft_action(f.kind)) continue;
      actions.push_back(raft::AdminAction{f.at, admin_op(f.kind), f.nodes.front(), f.line});
    }
  }
  return std::make_unique<raft::KvClient>(rt, scenario_.meta_ids(), w, std::move(actions), this);
}

uint64_t RaftRun::invoke(const raft::wire::KvCommand& command) {
  history_.push_back(check::kv_operation(command));
  history_.back().call = ++clock_;
  invoked_at_.push_back(World::now());
  answered_at_.push_back(Time::max());
  return history_.size() - 1;
}

void RaftRun::complete(uint64_t handle, bool ok, const std::string& output) {
  CAIRN_ASSERT(handle < history_.size());
  check::KvOperation& op = history_[handle];
  CAIRN_ASSERT(!op.ret.has_value());
  op.ok = ok;
  op.output = output;
  op.ret = ++clock_;
  answered_at_[handle] = World::now();
}

void RaftRun::admin_done(const raft::AdminAction& action, bool ok, uint32_t attempts) {
  if (ok) {
    ++admin_ok_;
    return;
  }
  ++admin_failed_;
  absl::StrAppend(&admin_failures_, admin_failures_.empty() ? "" : "; ",
                  raft::wire::AdminOp_Name(action.op), " n", action.node, " (line ", action.line,
                  ") failed after ", attempts, " attempts");
}

CheckResult RaftRun::judge(const std::string& name, const CheckSpec& spec) const {
  CheckResult r;
  if (name == "raft_safety") {
    const check::RaftSafetyChecker& c = recorder_.checker();
    r.pass = c.ok();
    r.detail = c.ok() ? absl::StrCat(recorder_.leaders(), " leaders, ", recorder_.applies(),
                                     " entries applied, no violation")
                      : c.violations().front();
    r.figures["violations"] = static_cast<double>(c.violations().size());
    r.figures["leaders"] = static_cast<double>(recorder_.leaders());
    r.figures["applied"] = static_cast<double>(recorder_.applies());
    return r;
  }
  if (name == "linearizable") {
    const check::LinearizabilityResult l = check::check_kv_linearizable(history_, spec.max_steps);
    r.pass = l.verdict != check::LinVerdict::kNotLinearizable;
    r.judged = l.verdict != check::LinVerdict::kUnknown;
    r.detail = absl::StrCat(check::verdict_name(l.verdict), ", ", history_.size(), " operations",
                            l.key.empty() ? "" : absl::StrCat("; key ", l.key, ": "),
                            l.explanation.substr(0, 400));
    r.figures["operations"] = static_cast<double>(history_.size());
    r.figures["steps"] = static_cast<double>(l.steps);
    return r;
  }
  return judge_progress(spec);
}

CheckResult RaftRun::judge_progress(const CheckSpec& spec) const {
  CheckResult r;
  Duration last_fault = Duration(0);
  for (const Fault& f : scenario_.faults) last_fault = std::max(last_fault, f.at);
  int64_t writes = 0;
  std::optional<Duration> first_after;
  for (size_t i = 0; i < history_.size(); ++i) {
    if (!history_[i].ret || history_[i].kind == check::KvOpKind::kGet) continue;
    ++writes;
    const Duration at = answered_at_[i].time_since_epoch();
    if (at > last_fault && (!first_after || at - last_fault < *first_after)) {
      first_after = at - last_fault;
    }
  }
  r.figures["writes_acknowledged"] = static_cast<double>(writes);
  if (first_after) r.figures["first_write_after_last_fault_s"] = to_seconds(*first_after);
  std::vector<std::string> problems;
  if (spec.min_count && writes < *spec.min_count) {
    problems.push_back(absl::StrCat(writes, " writes acknowledged, want >= ", *spec.min_count));
  }
  if (spec.max_duration && (!first_after || *first_after > *spec.max_duration)) {
    problems.push_back(absl::StrCat("no write acknowledged within ",
                                    format_duration(*spec.max_duration), " after the last fault (",
                                    format_duration(last_fault), ")"));
  }
  if (admin_failed_ > 0) problems.push_back(admin_failures_);
  r.pass = problems.empty();
  r.detail =
      r.pass ? absl::StrCat(writes, " writes acknowledged; ", admin_ok_, " membership actions done")
             : absl::StrJoin(problems, "; ");
  return r;
}

void RaftRun::add_metrics(std::map<std::string, double>& m) const {
  int64_t answered = 0;
  for (const auto& op : history_) answered += op.ret ? 1 : 0;
  m["kv_ops_invoked"] = static_cast<double>(history_.size());
  m["kv_ops_answered"] = static_cast<double>(answered);
  m["raft_leaders_elected"] = static_cast<double>(recorder_.leaders());
}

}  // namespace cairn::sim
