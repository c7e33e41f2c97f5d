// The cluster harness's simulated clients, fault events and membership operations.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/raft/testing/cluster_harness.h"

namespace cairn::raft::testing {

void Cluster::run_clients() {
  for (size_t i = 0; i < clients_.size(); ++i) {
    Client& c = *clients_[i];
    if (!c.busy) {
      const bool is_probe = i + 1 == clients_.size();
      if (load_ && !is_probe && random(100) < options_.client_issue_percent) issue(c);
      continue;
    }
    if (now_ >= c.retry_at) submit(c);
  }
}

void Cluster::issue(Client& c) {
  c.seq += 1;
  const uint64_t key_index = random(values_.size());
  const uint64_t roll = random(10);
  const bool is_probe = c.id == clients_.size();
  check::KvOperation op;
  op.client = c.id;
  op.key = absl::StrCat("k", key_index);
  op.kind = is_probe   ? check::KvOpKind::kPut
            : roll < 4 ? check::KvOpKind::kGet
            : roll < 7 ? check::KvOpKind::kPut
            : roll < 9 ? check::KvOpKind::kCas
                       : check::KvOpKind::kDelete;
  op.value = absl::StrCat("v", c.id, ".", c.seq);
  std::vector<std::string>& seen = values_[key_index];
  op.expected = seen.empty() || random(4) == 0
                    ? "none"
                    : seen[seen.size() - 1 - random(std::min<size_t>(seen.size(), 3))];
  if (op.kind == check::KvOpKind::kPut || op.kind == check::KvOpKind::kCas) {
    seen.push_back(op.value);
  }
  static constexpr kv::wire::KvOp kOps[] = {kv::wire::KV_GET, kv::wire::KV_PUT, kv::wire::KV_CAS,
                                            kv::wire::KV_DELETE};
  c.command.Clear();
  c.command.set_client_id(c.id);
  c.command.set_sequence(c.seq);
  c.command.set_op(kOps[static_cast<int>(op.kind)]);
  c.command.set_key(op.key);
  c.command.set_value(op.value);
  c.command.set_expected(op.expected);
  c.via_read_index = op.kind == check::KvOpKind::kGet && random(2) == 0;
  op.call = ++clock_;
  history_.push_back(std::move(op));
  c.op = history_.size() - 1;
  c.busy = true;
  submit(c);
}

NodeId Cluster::pick_target(const Client& c) {
  if (c.hint != kNoNode && is_up(c.hint) && random(10) < 8) return c.hint;
  return 1 + random(total_nodes());
}

void Cluster::submit(Client& c) {
  const NodeId t = pick_target(c);
  c.target = t;
  c.retry_at = now_ + options_.client_timeout_steps;
  if (!is_up(t)) {
    c.retry_at = now_ + 2;
    return;
  }
  Slot& s = slot(t);
  absl::Status st;
  if (c.via_read_index) {
    if (s.reads.size() >= kMaxReadsPerNode) return;
    c.read_id = ++next_read_id_;
    s.reads[c.read_id] = c.id - 1;
    st = s.raft->read_index(c.read_id);
  } else {
    st = s.raft->propose(c.command.SerializeAsString()).status();
  }
  after_input(t);
  if (st.ok()) {
    c.hint = t;
  } else {
    c.hint = s.raft->leader();
    c.retry_at = now_ + 2;
  }
}

void Cluster::complete(Client& c, bool ok, const std::string& output) {
  check::KvOperation& op = history_[c.op];
  op.ok = ok;
  op.output = output;
  op.ret = ++clock_;
  c.busy = false;
  ++completed_ops_;
}

bool Cluster::write_completes_within(uint32_t max_steps) {
  Client& probe = *clients_.back();
  if (probe.busy) return false;
  issue(probe);
  for (uint32_t i = 0; i < max_steps && probe.busy; ++i) step();
  return !probe.busy;
}

NodeId Cluster::leader() const {
  NodeId best = kNoNode;
  uint64_t best_term = 0;
  for (const auto& [id, s] : slots_) {
    if (s->raft == nullptr || s->raft->role() != Role::kLeader) continue;
    if (s->raft->term() > best_term) {
      best = id;
      best_term = s->raft->term();
    }
  }
  return best;
}

absl::Status Cluster::transfer_leadership(NodeId to) {
  const NodeId l = leader();
  if (l == kNoNode) return absl::UnavailableError("no leader");
  absl::Status st = slot(l).raft->transfer_leadership(to);
  after_input(l);
  return st;
}

absl::Status Cluster::add_learner(NodeId id) {
  const NodeId l = leader();
  if (l == kNoNode) return absl::UnavailableError("no leader");
  if (!is_up(id)) start(id);
  wire::ConfChange change;
  change.set_type(wire::CONF_ADD_LEARNER);
  change.set_node(id);
  absl::Status st = slot(l).raft->propose_conf_change(change).status();
  after_input(l);
  return st;
}

absl::Status Cluster::promote(NodeId id) {
  const NodeId l = leader();
  if (l == kNoNode) return absl::UnavailableError("no leader");
  Raft& r = *slot(l).raft;
  if (r.learners().count(id) == 0) return absl::FailedPreconditionError("not a learner");
  if (!r.caught_up(id, 8)) return absl::FailedPreconditionError("learner not caught up");
  wire::ConfChange change;
  change.set_type(wire::CONF_ADD_VOTER);
  change.set_node(id);
  absl::Status st = r.propose_conf_change(change).status();
  after_input(l);
  return st;
}

absl::Status Cluster::remove(NodeId id) {
  const NodeId l = leader();
  if (l == kNoNode) return absl::UnavailableError("no leader");
  wire::ConfChange change;
  change.set_type(wire::CONF_REMOVE_NODE);
  change.set_node(id);
  absl::Status st = slot(l).raft->propose_conf_change(change).status();
  after_input(l);
  return st;
}

void Cluster::apply(const FaultEvent& e) {
  const NodeId n = std::clamp<NodeId>(e.node, 1, total_nodes());
  switch (e.kind) {
    case FaultKind::kCrash:
      crash(n);
      break;
    case FaultKind::kRestart:
      restart(n);
      break;
    case FaultKind::kIsolate:
      isolate(n);
      break;
    case FaultKind::kPartition:
      partition(e.mask);
      break;
    case FaultKind::kHeal:
      heal();
      break;
    case FaultKind::kLoss:
      network_.loss_percent = e.amount;
      break;
    case FaultKind::kDuplicate:
      network_.duplicate_percent = e.amount;
      break;
    case FaultKind::kDelay:
      network_.max_extra_delay = e.amount;
      break;
    case FaultKind::kCalm:
      network_ = NetworkConditions{};
      break;
    case FaultKind::kTransferLeader:
      (void)transfer_leadership(n);
      break;
    case FaultKind::kAddLearner:
      (void)add_learner(n);
      break;
    case FaultKind::kPromote:
      (void)promote(n);
      break;
    case FaultKind::kRemove:
      (void)remove(n);
      break;
  }
}

std::vector<std::string> Cluster::check_all(check::LinVerdict* verdict) const {
  std::vector<std::string> out = safety_.violations();
  const check::LinearizabilityResult lin = check::check_kv_linearizable(history_);
  if (verdict != nullptr) *verdict = lin.verdict;
  if (lin.verdict == check::LinVerdict::kNotLinearizable) {
    out.push_back(
        absl::StrCat("linearizability: key ", lin.key, " is not linearizable:\n", lin.explanation));
  }
  return out;
}

}  // namespace cairn::raft::testing
