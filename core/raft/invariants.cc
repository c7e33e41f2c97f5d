// Raft's internal invariants, checked after every step by tests and the simulator.
#include "core/base/assert.h"
#include "core/raft/raft.h"

namespace cairn::raft {

void Raft::check_invariants() const {
  log_.check_invariants(term_);
  CAIRN_ASSERT(log_.snapshot_index() == snapshot_.metadata().index());
  CAIRN_ASSERT(persisted_hard_state_.term() <= term_);
  CAIRN_ASSERT(outbox_.size() <= config_.max_outbox_messages);
  CAIRN_ASSERT(pending_reads_.size() <= config_.max_pending_reads);
  for (NodeId id : learners_) CAIRN_ASSERT(voters_.count(id) == 0);
  switch (role_) {
    case Role::kLeader:
      CAIRN_ASSERT(leader_ == config_.id);
      CAIRN_ASSERT(vote_ == config_.id);
      CAIRN_ASSERT(is_voter());
      CAIRN_ASSERT(progress_.at(config_.id).match == log_.last_index());
      break;
    case Role::kCandidate:
      CAIRN_ASSERT(vote_ == config_.id);
      CAIRN_ASSERT(leader_ == kNoNode);
      break;
    case Role::kPreCandidate:
      CAIRN_ASSERT(leader_ == kNoNode);
      break;
    case Role::kFollower:
      CAIRN_ASSERT(!leaving_);
      CAIRN_ASSERT(progress_.empty());
      CAIRN_ASSERT(pending_reads_.empty());
      break;
  }
  for (const auto& [id, pr] : progress_) {
    CAIRN_ASSERT(pr.match < pr.next);
    CAIRN_ASSERT(pr.match <= log_.last_index());
    CAIRN_ASSERT(pr.next <= log_.last_index() + 1);
    CAIRN_ASSERT(pr.inflights.count() <= pr.inflights.max_count());
    CAIRN_ASSERT(voters_.count(id) != 0 || learners_.count(id) != 0);
  }
}

}  // namespace cairn::raft
