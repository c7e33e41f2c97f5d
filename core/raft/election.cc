// Leader election (§5.2, §5.4.1) with PreVote (§9.6) and CheckQuorum (§6.2).
#include "core/base/assert.h"
#include "core/raft/raft.h"
#include "core/raft/testing/faults.h"

namespace cairn::raft {

void Raft::start_election(bool pre_vote, bool force) {
  // After a restart the configuration is the snapshot's until the driver re-applies the
  // committed log; campaigning with a stale voter set could count the wrong majority.
  if (!is_voter() || has_unapplied_conf_change()) return;
  uint64_t election_term = 0;
  wire::MessageType type;
  if (pre_vote) {
    become_pre_candidate();
    election_term = term_ + 1;  // the term we would campaign in; ours stays unchanged
    type = wire::MSG_PRE_VOTE;
  } else {
    become_candidate();
    election_term = term_;
    type = wire::MSG_VOTE;
  }
  votes_[config_.id] = true;
  if (votes_.size() >= quorum()) {  // a single voter wins at once
    if (pre_vote) {
      start_election(/*pre_vote=*/false, force);
    } else {
      become_leader();
    }
    return;
  }
  for (NodeId id : voters_) {
    if (id == config_.id) continue;
    wire::Message m;
    m.set_type(type);
    m.set_to(id);
    m.set_term(election_term);
    m.set_index(log_.last_index());
    m.set_log_term(log_.last_term());
    m.set_force(force);
    send(std::move(m));
  }
}

void Raft::handle_vote_request(const wire::Message& m) {
  const bool pre = m.type() == wire::MSG_PRE_VOTE;
  // At most one vote per term (§5.2); a pre-vote for a later term promises nothing.
  const bool can_vote =
      vote_ == m.from() || (vote_ == kNoNode && leader_ == kNoNode) || (pre && m.term() > term_);
  // §5.4.1: only for a candidate whose log is at least as up to date as ours.
  const bool log_ok =
      planted(testing::Bug::kVoteWithoutLogCheck) || log_.is_up_to_date(m.index(), m.log_term());
  wire::Message r;
  r.set_type(pre ? wire::MSG_PRE_VOTE_RESPONSE : wire::MSG_VOTE_RESPONSE);
  r.set_to(m.from());
  if (can_vote && log_ok) {
    r.set_term(m.term());
    if (!pre) {
      CAIRN_ASSERT(m.term() == term_);
      election_elapsed_ = 0;
      vote_ = m.from();
    }
  } else {
    r.set_term(term_);
    r.set_reject(true);
  }
  send(std::move(r));
}

void Raft::handle_vote_response(const wire::Message& m) {
  const bool pre = m.type() == wire::MSG_PRE_VOTE_RESPONSE;
  if (pre != (role_ == Role::kPreCandidate)) return;  // an answer to an older campaign
  if (voters_.count(m.from()) == 0) return;
  votes_.emplace(m.from(), !m.reject());
  uint64_t granted = 0;
  uint64_t rejected = 0;
  for (const auto& [id, yes] : votes_) (yes ? granted : rejected) += 1;
  if (granted >= quorum()) {
    if (pre) {
      start_election(/*pre_vote=*/false, /*force=*/false);
    } else {
      become_leader();
    }
  } else if (rejected > voters_.size() - quorum()) {
    become_follower(term_, kNoNode);
  }
}

bool Raft::quorum_active() const {
  uint64_t active = 0;
  for (NodeId id : voters_) {
    if (id == config_.id) {
      ++active;
      continue;
    }
    auto it = progress_.find(id);
    if (it != progress_.end() && it->second.recent_active) ++active;
  }
  return active >= quorum();
}

}  // namespace cairn::raft
