#include "core/check/raft_recorder.h"

#include <vector>

#include "core/base/assert.h"

namespace cairn::check {

uint64_t raft_entry_digest(const raft::wire::Entry& e) {
  return fnv1a64(e.data(), 0xcbf29ce484222325ULL ^ static_cast<uint64_t>(e.type()));
}

KvOperation kv_operation(const kv::wire::KvCommand& command) {
  KvOperation op;
  op.client = command.client_id();
  switch (command.op()) {
    case kv::wire::KV_PUT:
      op.kind = KvOpKind::kPut;
      break;
    case kv::wire::KV_CAS:
      op.kind = KvOpKind::kCas;
      break;
    case kv::wire::KV_DELETE:
      op.kind = KvOpKind::kDelete;
      break;
    default:
      op.kind = KvOpKind::kGet;
      break;
  }
  op.key = command.key();
  op.value = command.value();
  op.expected = command.expected();
  return op;
}

void RaftSafetyRecorder::on_leader(raft::NodeId node, const raft::Raft& raft) {
  CAIRN_ASSERT(raft.role() == raft::Role::kLeader);
  ++leaders_;
  std::vector<LogRecord> log;
  const raft::RaftLog& l = raft.log();
  log.reserve(l.last_index() - l.snapshot_index());
  for (uint64_t i = l.first_index(); i <= l.last_index(); ++i) {
    const raft::wire::Entry& e = l.at(i);
    log.push_back({e.index(), e.term(), raft_entry_digest(e)});
  }
  CAIRN_ASSERT(log.size() == l.last_index() - l.snapshot_index());
  checker_.on_leader(node, raft.term(), l.snapshot_index(), std::move(log));
}

void RaftSafetyRecorder::on_append(raft::NodeId node, const raft::wire::Entry& e,
                                   uint64_t prev_term) {
  checker_.on_append(node, e.index(), e.term(), prev_term, raft_entry_digest(e));
}

void RaftSafetyRecorder::on_apply(raft::NodeId node, const raft::wire::Entry& e,
                                  uint64_t node_term) {
  ++applies_;
  const uint64_t digest = raft_entry_digest(e);
  checker_.on_commit(node, e.index(), e.term(), digest, node_term);
  checker_.on_apply(node, e.index(), digest);
}

}  // namespace cairn::check
