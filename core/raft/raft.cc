// Roles, message dispatch, ticks and the Ready/advance cycle.
#include "core/raft/raft.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace cairn::raft {

const char* role_name(Role role) {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "?";
}

namespace {

bool ids_fit(const wire::ConfState& conf) {
  for (uint64_t id : conf.voters()) {
    if (!node_id_from_wire(id)) return false;
  }
  for (uint64_t id : conf.learners()) {
    if (!node_id_from_wire(id)) return false;
  }
  return true;
}

absl::Status validate(const Config& c, const PersistentState& s) {
  if (c.id == kNoNode) return absl::InvalidArgumentError("raft: node id 0 is reserved");
  if (c.election_ticks <= c.heartbeat_ticks || c.heartbeat_ticks <= 0) {
    return absl::InvalidArgumentError("raft: need 0 < heartbeat_ticks < election_ticks");
  }
  if (c.max_inflight_appends == 0 || c.max_entries_per_append == 0) {
    return absl::InvalidArgumentError("raft: in-flight window and batch must be positive");
  }
  if (!node_id_from_wire(s.hard_state.vote()) || !ids_fit(s.snapshot.metadata().conf_state())) {
    return absl::DataLossError("raft: persisted state names a node id out of range");
  }
  const uint64_t first = s.snapshot.metadata().index() + 1;
  for (size_t i = 0; i < s.entries.size(); ++i) {
    if (s.entries[i].index() != first + i) {
      return absl::DataLossError(absl::StrCat("raft: persisted log has a gap at ", first + i));
    }
  }
  const uint64_t last = first - 1 + s.entries.size();
  if (s.hard_state.commit() > last) {
    return absl::DataLossError(absl::StrCat("raft: persisted commit ", s.hard_state.commit(),
                                            " beyond the persisted log end ", last));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Raft>> Raft::create(const Config& config, const Storage& storage) {
  absl::StatusOr<PersistentState> state = storage.load();
  if (!state.ok()) return state.status();
  if (absl::Status s = validate(config, *state); !s.ok()) return s;
  return std::unique_ptr<Raft>(new Raft(config, *state));
}

Raft::Raft(const Config& config, const PersistentState& state)
    : config_(config),
      rng_(config.random_seed ^ (config.id * 0x9e3779b97f4a7c15ULL)),
      log_(state.snapshot.metadata().index(), state.snapshot.metadata().term(), state.entries,
           state.hard_state.commit()),
      term_(state.hard_state.term()),
      vote_(*node_id_from_wire(state.hard_state.vote())),  // checked by validate()
      snapshot_(state.snapshot),
      persisted_hard_state_(state.hard_state) {
  if (state.snapshot.metadata().index() > 0) {
    set_configuration(state.snapshot.metadata().conf_state());
  } else {
    voters_.insert(config.peers.begin(), config.peers.end());
  }
  // Configuration changes in the log take effect again as the driver re-applies them.
  reset_randomized_timeout();
  role_ = Role::kFollower;
}

wire::HardState Raft::hard_state() const {
  wire::HardState hs;
  hs.set_term(term_);
  hs.set_vote(vote_);
  hs.set_commit(log_.commit());
  return hs;
}

void Raft::reset_randomized_timeout() {
  const auto base = static_cast<uint64_t>(config_.election_ticks);
  if (config_.election_jitter_ticks < 0) {
    randomized_election_timeout_ = static_cast<int>(base + rng_.below(base));
    return;
  }
  const auto jitter = static_cast<uint64_t>(config_.election_jitter_ticks);
  randomized_election_timeout_ = static_cast<int>(base + (jitter > 0 ? rng_.below(jitter + 1) : 0));
}

void Raft::reset(uint64_t term) {
  if (term_ != term) {
    CAIRN_ASSERT(term > term_);
    term_ = term;
    vote_ = kNoNode;
  }
  leader_ = kNoNode;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  reset_randomized_timeout();
  votes_.clear();
  progress_.clear();
  lead_transferee_ = kNoNode;
  leaving_ = false;
  timeout_now_deferred_ = false;
  pending_reads_.clear();
}

void Raft::become_follower(uint64_t term, NodeId leader) {
  reset(term);
  role_ = Role::kFollower;
  leader_ = leader;
}

void Raft::become_pre_candidate() {
  CAIRN_ASSERT(role_ != Role::kLeader);
  // PreVote changes neither term nor vote: a partitioned node cannot disrupt the cluster.
  votes_.clear();
  progress_.clear();
  leader_ = kNoNode;
  role_ = Role::kPreCandidate;
}

void Raft::become_candidate() {
  CAIRN_ASSERT(role_ != Role::kLeader);
  reset(term_ + 1);
  vote_ = config_.id;
  role_ = Role::kCandidate;
}

void Raft::become_leader() {
  CAIRN_ASSERT(role_ == Role::kCandidate);
  reset(term_);
  role_ = Role::kLeader;
  leader_ = config_.id;
  for (NodeId id : voters_) add_progress(id);
  for (NodeId id : learners_) add_progress(id);
  // No configuration change until everything before this term is applied (§4.1 fix).
  pending_conf_index_ = log_.last_index();
  leaving_ = removal_in_log();
  // A no-op entry of the new term lets the leader learn what is committed (§5.4.2, §6.4).
  append_entry(wire::ENTRY_NORMAL, std::string());
}

void Raft::send(wire::Message m) {
  if (outbox_.size() >= config_.max_outbox_messages) return;  // bounded: like a lost message
  m.set_from(config_.id);
  if (m.term() == 0) m.set_term(term_);
  outbox_.push_back(std::move(m));
}

void Raft::campaign() {
  if (role_ == Role::kLeader) return;
  start_election(config_.pre_vote, /*force=*/false);
}

absl::Status Raft::step(const wire::Message& m) {
  if (!node_id_from_wire(m.from()) || !node_id_from_wire(m.to()) ||
      (m.type() == wire::MSG_SNAPSHOT && !ids_fit(m.snapshot().metadata().conf_state()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("raft: node id out of range in a message from ", m.from(), " to ", m.to()));
  }
  if (m.to() != config_.id) {
    return absl::InvalidArgumentError(
        absl::StrCat("raft: message for ", m.to(), " delivered to ", config_.id));
  }
  if (m.term() == 0 || m.from() == kNoNode || m.from() == config_.id) {
    return absl::InvalidArgumentError("raft: message without term or sender");
  }
  if (!handle_term(m)) return absl::OkStatus();
  if (m.type() == wire::MSG_VOTE || m.type() == wire::MSG_PRE_VOTE) {
    handle_vote_request(m);
    return absl::OkStatus();
  }
  switch (role_) {
    case Role::kLeader:
      step_leader(m);
      break;
    case Role::kCandidate:
    case Role::kPreCandidate:
      step_candidate(m);
      break;
    case Role::kFollower:
      step_follower(m);
      break;
  }
  return absl::OkStatus();
}

// The term rules of §5.1, with the PreVote and leader-lease exceptions of §9.6.
// Returns false if the message must be dropped.
bool Raft::handle_term(const wire::Message& m) {
  const bool vote_request = m.type() == wire::MSG_VOTE || m.type() == wire::MSG_PRE_VOTE;
  if (m.term() > term_) {
    if (vote_request && !m.force()) {
      const bool in_lease =
          config_.check_quorum && leader_ != kNoNode && election_elapsed_ < config_.election_ticks;
      if (in_lease) return false;  // we heard from a live leader recently
    }
    if (m.type() == wire::MSG_PRE_VOTE) return true;
    if (m.type() == wire::MSG_PRE_VOTE_RESPONSE && !m.reject()) return true;
    const bool from_leader = m.type() == wire::MSG_APPEND || m.type() == wire::MSG_HEARTBEAT ||
                             m.type() == wire::MSG_SNAPSHOT;
    become_follower(m.term(), from_leader ? m.from() : kNoNode);
    return true;
  }
  if (m.term() < term_) {
    if ((config_.check_quorum || config_.pre_vote) &&
        (m.type() == wire::MSG_HEARTBEAT || m.type() == wire::MSG_APPEND)) {
      // Tell a stale leader about the newer term so that it steps down.
      wire::Message r;
      r.set_type(wire::MSG_APPEND_RESPONSE);
      r.set_to(m.from());
      send(std::move(r));
    } else if (m.type() == wire::MSG_PRE_VOTE) {
      wire::Message r;
      r.set_type(wire::MSG_PRE_VOTE_RESPONSE);
      r.set_to(m.from());
      r.set_reject(true);
      send(std::move(r));
    }
    return false;
  }
  return true;
}

void Raft::step_leader(const wire::Message& m) {
  switch (m.type()) {
    case wire::MSG_APPEND_RESPONSE:
      handle_append_response(m);
      break;
    case wire::MSG_HEARTBEAT_RESPONSE:
      handle_heartbeat_response(m);
      break;
    default:
      break;  // votes after winning, or messages that only a follower acts on
  }
}

void Raft::step_candidate(const wire::Message& m) {
  switch (m.type()) {
    case wire::MSG_APPEND:
      become_follower(term_, m.from());
      handle_append(m);
      break;
    case wire::MSG_HEARTBEAT:
      become_follower(term_, m.from());
      handle_heartbeat(m);
      break;
    case wire::MSG_SNAPSHOT:
      become_follower(term_, m.from());
      handle_snapshot(m);
      break;
    case wire::MSG_VOTE_RESPONSE:
    case wire::MSG_PRE_VOTE_RESPONSE:
      handle_vote_response(m);
      break;
    default:
      break;
  }
}

void Raft::step_follower(const wire::Message& m) {
  switch (m.type()) {
    case wire::MSG_APPEND:
      election_elapsed_ = 0;
      leader_ = m.from();
      handle_append(m);
      break;
    case wire::MSG_HEARTBEAT:
      election_elapsed_ = 0;
      leader_ = m.from();
      handle_heartbeat(m);
      break;
    case wire::MSG_SNAPSHOT:
      election_elapsed_ = 0;
      leader_ = m.from();
      handle_snapshot(m);
      break;
    case wire::MSG_TIMEOUT_NOW:
      // Leadership transfer (§3.10): skip PreVote and bypass the voters' lease. A
      // configuration change we hold as committed but not yet applied may change who
      // votes (a leader hands off as it leaves, in the same batch as the commit index):
      // campaign once the driver has applied it.
      if (has_unapplied_conf_change()) {
        timeout_now_deferred_ = true;
      } else if (is_voter()) {
        start_election(/*pre_vote=*/false, /*force=*/true);
      }
      break;
    default:
      break;
  }
}

void Raft::tick() {
  if (role_ == Role::kLeader) {
    tick_heartbeat();
  } else {
    tick_election();
  }
}

void Raft::tick_election() {
  ++election_elapsed_;
  if (election_elapsed_ < randomized_election_timeout_) return;
  election_elapsed_ = 0;
  if (is_voter()) start_election(config_.pre_vote, /*force=*/false);
}

void Raft::tick_heartbeat() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  tick_snapshot_waits();
  if (election_elapsed_ >= config_.election_ticks) {
    election_elapsed_ = 0;
    if (config_.check_quorum) {
      if (!quorum_active()) {
        become_follower(term_, kNoNode);  // CheckQuorum (§6.2): we may be partitioned away
        return;
      }
      for (auto& [id, pr] : progress_) pr.recent_active = id == config_.id;
    }
    lead_transferee_ = kNoNode;  // a transfer that did not finish in time is abandoned
  }
  if (heartbeat_elapsed_ >= config_.heartbeat_ticks) {
    heartbeat_elapsed_ = 0;
    broadcast_heartbeat();
  }
}

bool Raft::has_ready() const {
  const wire::HardState hs = hard_state();
  return !outbox_.empty() || !read_states_.empty() || snapshot_unstable_ ||
         hs.term() != persisted_hard_state_.term() || hs.vote() != persisted_hard_state_.vote() ||
         hs.commit() != persisted_hard_state_.commit() || log_.stable_index() < log_.last_index() ||
         log_.applied() < log_.commit();
}

Ready Raft::ready() {
  CAIRN_ASSERT(!ready_outstanding_);
  ready_outstanding_ = true;
  Ready rd;
  const wire::HardState hs = hard_state();
  if (hs.term() != persisted_hard_state_.term() || hs.vote() != persisted_hard_state_.vote() ||
      hs.commit() != persisted_hard_state_.commit()) {
    rd.hard_state = hs;
  }
  if (snapshot_unstable_) {
    rd.snapshot = snapshot_;
    rd.restore_state_machine = restore_pending_;
  }
  rd.entries = log_.unstable_entries();
  rd.messages = std::move(outbox_);
  outbox_.clear();
  rd.committed_entries = log_.next_committed(config_.max_committed_entries_per_ready);
  rd.read_states = std::move(read_states_);
  read_states_.clear();
  return rd;
}

void Raft::advance(const Ready& rd) {
  CAIRN_ASSERT(ready_outstanding_);
  ready_outstanding_ = false;
  if (rd.hard_state) persisted_hard_state_ = *rd.hard_state;
  if (rd.snapshot && rd.snapshot->metadata().index() == snapshot_.metadata().index()) {
    snapshot_unstable_ = false;
    restore_pending_ = false;
  }
  if (!rd.entries.empty()) log_.stable_to(rd.entries.back().index(), rd.entries.back().term());
  for (const wire::Entry& e : rd.committed_entries) {
    if (e.index() <= log_.applied()) continue;  // superseded by a snapshot meanwhile
    log_.applied_to(e.index());
    if (e.type() == wire::ENTRY_CONF_CHANGE) {
      wire::ConfChange change;
      const bool parsed = change.ParseFromString(e.data());
      CAIRN_ASSERT(parsed);
      apply_conf_change(change);
    }
  }
  if (timeout_now_deferred_ && !has_unapplied_conf_change()) {
    timeout_now_deferred_ = false;
    if (role_ == Role::kFollower && is_voter()) start_election(/*pre_vote=*/false, /*force=*/true);
  }
}

}  // namespace cairn::raft
