// Single-server membership changes with learners (dissertation §4.1-4.2) and leadership
// transfer (§3.10). A change takes effect on every node when it applies the entry.
//
// Removing the leader (§4.2.2). The dissertation's leader steps down once C_new is
// committed and a member of C_new then wins an election. Here a configuration takes effect
// when applied, so a survivor that has the removal entry but has not learned that it
// committed still counts the old voters, the removed leader among them, and needs its
// vote. Two rules keep that vote available and the hand-over quick:
//   1. While its own removal is in its log and not applied, the leader takes no more
//      proposals (Unavailable), so its log ends with committed entries when it steps down
//      and any survivor eligible under the old configuration is at least as up to date.
//   2. On applying its removal, the leader sends TimeoutNow to the most caught-up
//      remaining voter before stepping down, so the survivors do not wait an election
//      timeout (and do not depend on the message that carried the commit index).
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/raft/raft.h"

namespace cairn::raft {

absl::StatusOr<uint64_t> Raft::propose_conf_change(const wire::ConfChange& change) {
  if (role_ != Role::kLeader) {
    return absl::UnavailableError(absl::StrCat("raft: not the leader; try node ", leader_));
  }
  if (change.node() == kNoNode || !node_id_from_wire(change.node())) {
    return absl::InvalidArgumentError(absl::StrCat("raft: bad node id ", change.node()));
  }
  if (pending_conf_index_ > log_.applied()) {
    return absl::FailedPreconditionError("raft: an earlier configuration change is pending");
  }
  if (change.type() == wire::CONF_REMOVE_NODE && voters_.size() == 1 &&
      voters_.count(change.node()) != 0) {
    return absl::FailedPreconditionError("raft: cannot remove the last voter");
  }
  if (lead_transferee_ != kNoNode) {
    return absl::UnavailableError("raft: leadership transfer in progress");
  }
  append_entry(wire::ENTRY_CONF_CHANGE, change.SerializeAsString());
  pending_conf_index_ = log_.last_index();
  if (change.type() == wire::CONF_REMOVE_NODE && change.node() == config_.id) leaving_ = true;
  CAIRN_ASSERT(leaving_ == removal_in_log());
  return log_.last_index();
}

bool Raft::removal_in_log() const {
  CAIRN_ASSERT(role_ == Role::kLeader);
  for (uint64_t i = log_.applied() + 1; i <= log_.last_index(); ++i) {
    const wire::Entry& e = log_.at(i);
    if (e.type() != wire::ENTRY_CONF_CHANGE) continue;
    wire::ConfChange change;
    const bool parsed = change.ParseFromString(e.data());
    CAIRN_ASSERT(parsed);
    if (change.type() == wire::CONF_REMOVE_NODE && change.node() == config_.id) return true;
  }
  return false;
}

void Raft::hand_off_leadership() {
  CAIRN_ASSERT(role_ == Role::kLeader);
  CAIRN_ASSERT(!is_voter());
  NodeId successor = kNoNode;
  uint64_t best_match = 0;
  for (NodeId id : voters_) {  // ordered: ties go to the lowest id, deterministically
    auto it = progress_.find(id);
    if (it == progress_.end() || it->second.match <= best_match) continue;
    successor = id;
    best_match = it->second.match;
  }
  // Only a voter holding our whole log can win at once; otherwise the survivors elect one
  // after their timeout, and our vote is still theirs (see the top of this file).
  if (successor != kNoNode && best_match == log_.last_index()) send_timeout_now(successor);
}

void Raft::add_progress(NodeId id) {
  if (progress_.count(id) != 0) return;
  Progress pr(log_.last_index() + 1, config_.max_inflight_appends, config_.max_inflight_bytes);
  pr.recent_active = true;  // give a new member one election timeout to answer
  if (id == config_.id) pr.match = log_.last_index();
  progress_.emplace(id, std::move(pr));
}

void Raft::apply_conf_change(const wire::ConfChange& change) {
  // The leader that proposed it checked the id (propose_conf_change).
  const std::optional<NodeId> checked = node_id_from_wire(change.node());
  CAIRN_ASSERT(checked.has_value());
  const NodeId node = *checked;
  switch (change.type()) {
    case wire::CONF_ADD_VOTER:
      learners_.erase(node);
      voters_.insert(node);
      break;
    case wire::CONF_ADD_LEARNER:
      if (voters_.count(node) == 0) learners_.insert(node);
      break;
    case wire::CONF_REMOVE_NODE:
      voters_.erase(node);
      learners_.erase(node);
      break;
    default:
      return;
  }
  if (!is_voter() && role_ != Role::kFollower) {
    // A leader (or candidate) that was removed steps aside; the others elect a successor.
    if (role_ == Role::kLeader) hand_off_leadership();
    become_follower(term_, kNoNode);
    return;
  }
  if (role_ != Role::kLeader) return;
  if (voters_.count(node) != 0 || learners_.count(node) != 0) {
    add_progress(node);
  } else {
    progress_.erase(node);
    if (lead_transferee_ == node) lead_transferee_ = kNoNode;
  }
  if (maybe_commit()) broadcast_append();
  if (node != config_.id && progress_.count(node) != 0) {
    maybe_send_append(node, /*send_if_empty=*/true);
  }
}

bool Raft::has_unapplied_conf_change() const {
  for (uint64_t i = log_.applied() + 1; i <= log_.commit(); ++i) {
    if (log_.at(i).type() == wire::ENTRY_CONF_CHANGE) return true;
  }
  return false;
}

void Raft::set_configuration(const wire::ConfState& conf) {
  voters_.clear();
  learners_.clear();
  voters_.insert(conf.voters().begin(), conf.voters().end());
  learners_.insert(conf.learners().begin(), conf.learners().end());
}

wire::ConfState Raft::conf_state() const {
  wire::ConfState conf;
  for (NodeId id : voters_) conf.add_voters(id);
  for (NodeId id : learners_) conf.add_learners(id);
  return conf;
}

const Progress* Raft::progress(NodeId peer) const {
  if (role_ != Role::kLeader) return nullptr;
  auto it = progress_.find(peer);
  return it == progress_.end() ? nullptr : &it->second;
}

bool Raft::caught_up(NodeId peer, uint64_t max_lag) const {
  const Progress* pr = progress(peer);
  return pr != nullptr && pr->match + max_lag >= log_.last_index();
}

absl::Status Raft::transfer_leadership(NodeId target) {
  if (role_ != Role::kLeader) {
    return absl::UnavailableError(absl::StrCat("raft: not the leader; try node ", leader_));
  }
  if (target == config_.id) return absl::OkStatus();
  if (voters_.count(target) == 0) {
    return absl::InvalidArgumentError(absl::StrCat("raft: node ", target, " is not a voter"));
  }
  lead_transferee_ = target;
  election_elapsed_ = 0;  // the transfer must finish within one election timeout
  const Progress& pr = progress_.at(target);
  if (pr.match == log_.last_index()) {
    send_timeout_now(target);
  } else {
    maybe_send_append(target, /*send_if_empty=*/true);
  }
  return absl::OkStatus();
}

void Raft::send_timeout_now(NodeId to) {
  wire::Message m;
  m.set_type(wire::MSG_TIMEOUT_NOW);
  m.set_to(to);
  send(std::move(m));
}

}  // namespace cairn::raft
