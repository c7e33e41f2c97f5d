#include "runtime-sim/raft_run.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/base/assert.h"
#include "core/base/units.h"
#include "core/kv/kv_service.h"
#include "runtime-sim/sim_world.h"

namespace cairn::sim {
namespace {

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

RaftRun::RaftRun(const Scenario& scenario, RaftEventRecorder::Record record)
    : scenario_(scenario),
      admin_id_(static_cast<NodeId>(scenario.nodes.size() + scenario.workload().clients + 1)),
      servers_{scenario.kv_server_ids()},
      events_(recorder_, std::move(record)) {}

std::vector<NodeSpec> RaftRun::client_specs() const {
  std::vector<NodeSpec> out;
  auto next_id = static_cast<NodeId>(scenario_.nodes.size() + 1);
  for (int i = 1; i <= scenario_.workload().clients; ++i) {
    out.push_back(NodeSpec{next_id++, absl::StrCat("c", i), "clients", {"kv_client"}});
  }
  if (scenario_.has_raft_actions()) {
    out.push_back(NodeSpec{admin_id_, "admin", "clients", {"kv_client"}});
  }
  return out;
}

void RaftRun::add_hooks(Hooks& hooks) {
  hooks.set<raft::RaftObserver>(&events_);
  hooks.set<kv::KvHistorySink>(this);
  hooks.set<kv::KvServers>(&servers_);
}

RoleSettings RaftRun::settings_for(const NodeSpec& spec) const {
  RoleSettings settings = scenario_.roles;
  if (spec.id != admin_id_) return settings;
  // The admin client only carries out the membership actions of the fault list.
  kv::KvClientOptions& admin = settings.get<kv::KvClientOptions>("kv_client");
  admin.workload.rate_per_s = 0;
  for (const Fault& f : scenario_.faults) {
    if (!is_raft_action(f.kind)) continue;
    admin.admin.push_back(kv::AdminAction{f.at, admin_op(f.kind), f.nodes.front(), f.line});
  }
  return settings;
}

uint64_t RaftRun::invoke(const kv::wire::KvCommand& command) {
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

void RaftRun::admin_done(const kv::AdminAction& action, bool ok, uint32_t attempts) {
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
    r.detail = c.ok() ? absl::StrCat(recorder_.leaders(), " leaders elected, ", recorder_.applies(),
                                     " entries applied (summed over nodes), no violation")
                      : c.violations().front();
    r.figures["violations"] = static_cast<double>(c.violations().size());
    r.figures["leaders"] = static_cast<double>(recorder_.leaders());
    r.figures["applied"] = static_cast<double>(recorder_.applies());
    return r;
  }
  if (name == "linearizable") return judge_linearizable(spec);
  return judge_progress(spec);
}

CheckResult RaftRun::judge_linearizable(const CheckSpec& spec) const {
  CheckResult r;
  const check::LinearizabilityResult l = check::check_kv_linearizable(history_, spec.max_steps);
  const bool violated = l.verdict == check::LinVerdict::kNotLinearizable;
  r.pass = violated == spec.want_violation;
  r.judged = l.verdict != check::LinVerdict::kUnknown;
  r.detail = absl::StrCat(check::verdict_name(l.verdict), ", ", history_.size(), " operations",
                          spec.want_violation ? " (a violation was wanted)" : "");
  r.figures["operations"] = static_cast<double>(history_.size());
  r.figures["steps"] = static_cast<double>(l.steps);
  if (l.verdict == check::LinVerdict::kUnknown) {
    absl::StrAppend(&r.detail, "; key ", l.key, ": ", l.explanation.substr(0, 400));
  }
  if (!violated) return r;
  r.figures["counterexample_operations"] = static_cast<double>(l.counterexample.size());
  absl::StrAppend(&r.detail, "; shortest counterexample (", l.counterexample.size(), " of the ",
                  l.key_operations, " operations on key ", l.key,
                  "; no order of them respects real time and gives every result):");
  for (size_t i : l.counterexample) absl::StrAppend(&r.detail, "\n      ", describe_op(i));
  return r;
}

std::string RaftRun::client_name(uint64_t id) const {
  const auto first_client = static_cast<uint64_t>(scenario_.nodes.size() + 1);
  if (id == admin_id_) return "admin";
  if (id >= first_client) return absl::StrCat("c", id - first_client + 1);
  return absl::StrCat("id", id);
}

std::string RaftRun::describe_op(size_t i) const {
  static constexpr const char* kNames[] = {"get", "put", "cas", "delete", "put_if_absent"};
  const check::KvOperation& op = history_[i];
  std::string s = absl::StrFormat(
      "%9.6fs .. %-10s %-3s %s(%s", to_seconds(invoked_at_[i].time_since_epoch()),
      op.ret ? absl::StrFormat("%.6fs", to_seconds(answered_at_[i].time_since_epoch()))
             : std::string("never"),
      client_name(op.client), kNames[static_cast<int>(op.kind)], op.key);
  if (op.kind == check::KvOpKind::kCas) absl::StrAppend(&s, ", ", op.expected);
  if (op.kind != check::KvOpKind::kGet && op.kind != check::KvOpKind::kDelete) {
    absl::StrAppend(&s, ", ", op.value);
  }
  absl::StrAppend(&s, ")");
  if (!op.ret) return s + " -> no answer";
  if (op.kind == check::KvOpKind::kGet) return s + (op.ok ? " -> " + op.output : " -> not found");
  return s + (op.ok ? " -> ok" : " -> refused");
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
  m["kv_writes_answered"] = static_cast<double>(writes_answered(Duration(0), Duration::max()));
  if (scenario_.meta_ids().empty()) return;  // clients of another role: no Raft to report
  m["raft_leaders_elected"] = static_cast<double>(recorder_.leaders());
  m["raft_elections_started"] = static_cast<double>(events_.elections_started());
  m["raft_log_truncations"] = static_cast<double>(events_.truncations());
}

int64_t RaftRun::writes_answered(Duration from, Duration to) const {
  int64_t n = 0;
  for (size_t i = 0; i < history_.size(); ++i) {
    if (!history_[i].ret || history_[i].kind == check::KvOpKind::kGet) continue;
    const Duration at = answered_at_[i].time_since_epoch();
    n += at >= from && at < to ? 1 : 0;
  }
  return n;
}

std::string RaftRun::commit_rate_report() const {
  std::set<Duration> cuts{Duration(0), scenario_.duration};
  for (const Fault& f : scenario_.faults) {
    cuts.insert(f.at);
    if (f.length > Duration(0)) cuts.insert(std::min(f.at + f.length, scenario_.duration));
  }
  std::string out = "writes committed (acknowledged to clients) per second, between faults:\n";
  for (auto it = cuts.begin(); std::next(it) != cuts.end(); ++it) {
    const Duration from = *it, to = *std::next(it);
    if (to <= from) continue;
    const int64_t n = writes_answered(from, to);
    absl::StrAppend(&out, absl::StrFormat("  %7s - %-7s %7.1f/s  (%d writes)\n",
                                          format_duration(from), format_duration(to),
                                          static_cast<double>(n) / to_seconds(to - from), n));
  }
  return out;
}

std::string RaftRun::history() const {
  return history_jsonl(history_, invoked_at_, answered_at_,
                       [&](uint64_t id) { return client_name(id); });
}

}  // namespace cairn::sim
