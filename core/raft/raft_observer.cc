#include "core/raft/raft_observer.h"

#include <vector>

namespace cairn::raft {

uint64_t entry_digest(const wire::Entry& e) {
  return check::fnv1a64(e.data(), 0xcbf29ce484222325ULL ^ static_cast<uint64_t>(e.type()));
}

void SafetyRecorder::on_leader(NodeId node, const Raft& raft) {
  ++leaders_;
  std::vector<check::LogRecord> log;
  const RaftLog& l = raft.log();
  log.reserve(l.last_index() - l.snapshot_index());
  for (uint64_t i = l.first_index(); i <= l.last_index(); ++i) {
    const wire::Entry& e = l.at(i);
    log.push_back({e.index(), e.term(), entry_digest(e)});
  }
  checker_.on_leader(node, raft.term(), l.snapshot_index(), std::move(log));
}

void SafetyRecorder::on_append(NodeId node, const wire::Entry& e, uint64_t prev_term) {
  checker_.on_append(node, e.index(), e.term(), prev_term, entry_digest(e));
}

void SafetyRecorder::on_apply(NodeId node, const wire::Entry& e, uint64_t node_term) {
  ++applies_;
  const uint64_t digest = entry_digest(e);
  checker_.on_commit(node, e.index(), e.term(), digest, node_term);
  checker_.on_apply(node, e.index(), digest);
}

}  // namespace cairn::raft
