#include "runtime-sim/raft_events.h"

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "runtime-sim/trace.h"

namespace cairn::sim {

void RaftEventRecorder::on_start(raft::NodeId node) {
  inner_.on_start(node);
  last_index_[node].reset();
}

void RaftEventRecorder::on_restore(raft::NodeId node, uint64_t index) {
  inner_.on_restore(node, index);
  std::optional<uint64_t>& last = last_index_[node];
  if (last) {
    // Not a restart reading its own snapshot: the leader sent one, and it replaces the
    // node's whole log (entries past `index` that it held are gone too).
    record_(node, Event{"raft_snapshot_installed",
                        {{"index", static_cast<int64_t>(index)},
                         {"log_was_at", static_cast<int64_t>(*last)}}});
  }
  last = index;  // the log now begins after the snapshot
}

void RaftEventRecorder::on_leader(raft::NodeId node, const raft::Raft& raft) {
  inner_.on_leader(node, raft);
}

void RaftEventRecorder::on_append(raft::NodeId node, const raft::wire::Entry& e,
                                  uint64_t prev_term) {
  inner_.on_append(node, e, prev_term);
  std::optional<uint64_t>& last = last_index_[node];
  if (last && e.index() <= *last) {
    ++truncations_;
    record_(node, Event{"raft_truncate",
                        {{"from_index", static_cast<int64_t>(e.index())},
                         {"dropped", static_cast<int64_t>(*last - e.index() + 1)},
                         {"new_term", static_cast<int64_t>(e.term())}}});
  }
  last = e.index();
}

void RaftEventRecorder::on_apply(raft::NodeId node, const raft::wire::Entry& e,
                                 uint64_t node_term) {
  inner_.on_apply(node, e, node_term);
}

void RaftEventRecorder::after_step(NodeId node, const raft::Raft& raft) {
  std::optional<uint64_t>& last = last_index_[node];
  if (!last) last = raft.log().last_index();
  uint64_t& term = term_[node];
  if (raft.term() == term) return;
  const bool campaign = raft.role() == raft::Role::kCandidate;
  elections_started_ += campaign ? 1 : 0;
  record_(node, Event{"raft_term",
                      {{"term", static_cast<int64_t>(raft.term())},
                       {"was", static_cast<int64_t>(term)},
                       {"role", std::string(raft::role_name(raft.role()))}}});
  term = raft.term();
}

std::string history_jsonl(const std::vector<check::KvOperation>& ops,
                          const std::vector<Time>& invoked_at, const std::vector<Time>& answered_at,
                          const std::function<std::string(uint64_t)>& client_name) {
  CAIRN_ASSERT(ops.size() == invoked_at.size());
  CAIRN_ASSERT(ops.size() == answered_at.size());
  static const char* kOps[] = {"get", "put", "cas", "delete", "put_if_absent"};
  std::string out;
  for (size_t i = 0; i < ops.size(); ++i) {
    const check::KvOperation& op = ops[i];
    const auto kind = static_cast<size_t>(op.kind);
    absl::StrAppend(&out, "{\"client\":", json_string(client_name(op.client)),
                    ",\"op\":", json_string(kind < std::size(kOps) ? kOps[kind] : "?"),
                    ",\"key\":", json_string(op.key));
    if (op.kind == check::KvOpKind::kPut || op.kind == check::KvOpKind::kCas) {
      absl::StrAppend(&out, ",\"value\":", json_string(op.value));
    }
    if (op.kind == check::KvOpKind::kCas) {
      absl::StrAppend(&out, ",\"expected\":", json_string(op.expected));
    }
    absl::StrAppend(&out, ",\"invoke_s\":", format_time(invoked_at[i]),
                    ",\"complete_s\":", op.ret ? format_time(answered_at[i]) : std::string("null"));
    if (op.ret) {
      absl::StrAppend(&out, ",\"ok\":", op.ok ? "true" : "false",
                      ",\"result\":", json_string(op.output));
    }
    out += "}\n";
  }
  return out;
}

}  // namespace cairn::sim
