// Log replication (§5.3): batched, pipelined appends with a bounded window per follower,
// heartbeats that carry the commit index, and the leader's commit rule (§5.4.2).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/raft/raft.h"
#include "core/raft/testing/faults.h"

namespace cairn::raft {

std::vector<NodeId> Raft::peers() const {
  std::vector<NodeId> out;
  for (const auto& [id, pr] : progress_) {
    if (id != config_.id) out.push_back(id);
  }
  return out;
}

absl::StatusOr<uint64_t> Raft::propose(std::string data) {
  if (role_ != Role::kLeader) {
    return absl::UnavailableError(absl::StrCat("raft: not the leader; try node ", leader_));
  }
  if (lead_transferee_ != kNoNode) {
    return absl::UnavailableError("raft: leadership transfer in progress");
  }
  if (leaving_) {
    // Nothing may follow our own removal in our log: once we step down, a survivor that
    // missed the commit still needs our vote, and we grant it only to a log at least as
    // long as ours (membership.cc).
    return absl::UnavailableError("raft: the leader is leaving the configuration");
  }
  if (log_.last_index() - log_.commit() >= config_.max_uncommitted_entries) {
    return absl::UnavailableError("raft: too many uncommitted entries");
  }
  if (data.size() > config_.max_entry_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("raft: an entry of ", data.size(),
                                                   " bytes is over the limit of ",
                                                   config_.max_entry_bytes, " bytes"));
  }
  append_entry(wire::ENTRY_NORMAL, std::move(data));
  return log_.last_index();
}

void Raft::append_entry(wire::EntryType type, std::string data) {
  CAIRN_ASSERT(role_ == Role::kLeader);
  wire::Entry e;
  e.set_term(term_);
  e.set_index(log_.last_index() + 1);
  e.set_type(type);
  e.set_data(std::move(data));
  log_.append({e});
  // The leader's own write counts toward the quorum: messages leave only after the
  // driver has synced this entry (Ready's contract), so no follower can ack it earlier.
  if (auto it = progress_.find(config_.id); it != progress_.end()) {
    it->second.maybe_update(log_.last_index());
  }
  maybe_commit();
  broadcast_append();
}

bool Raft::maybe_send_append(NodeId to, bool send_if_empty) {
  Progress& pr = progress_.at(to);
  if (pr.is_paused()) return false;
  const std::optional<uint64_t> prev_term = log_.term(pr.next - 1);
  if (!prev_term) return send_snapshot(to, pr);
  std::vector<wire::Entry> entries;
  if (pr.next <= log_.last_index()) {
    entries = log_.slice(pr.next, log_.last_index() + 1, config_.max_entries_per_append,
                         config_.max_bytes_per_append);
  }
  if (entries.empty() && !send_if_empty) return false;
  wire::Message m;
  m.set_type(wire::MSG_APPEND);
  m.set_to(to);
  m.set_index(pr.next - 1);
  m.set_log_term(*prev_term);
  m.set_commit(log_.commit());
  uint64_t bytes = 0;
  for (wire::Entry& e : entries) {
    bytes += e.data().size() + 16;
    *m.add_entries() = std::move(e);
  }
  if (m.entries_size() > 0) {
    pr.sent_entries(m.entries(m.entries_size() - 1).index(), bytes);
  } else if (pr.state == ProgressState::kProbe) {
    pr.probe_sent = true;
  }
  send(std::move(m));
  return true;
}

void Raft::broadcast_append() {
  for (NodeId id : peers()) maybe_send_append(id, /*send_if_empty=*/true);
}

void Raft::broadcast_heartbeat() {
  for (NodeId id : peers()) {
    const Progress& pr = progress_.at(id);
    wire::Message m;
    m.set_type(wire::MSG_HEARTBEAT);
    m.set_to(id);
    // Never tell a follower to commit past what it is known to hold.
    m.set_commit(std::min(pr.match, log_.commit()));
    m.set_context(read_round_);
    send(std::move(m));
  }
}

bool Raft::maybe_commit() {
  std::vector<uint64_t> matches;
  for (NodeId id : voters_) {
    auto it = progress_.find(id);
    matches.push_back(it == progress_.end() ? 0 : it->second.match);
  }
  if (matches.empty()) return false;
  std::sort(matches.begin(), matches.end(), std::greater<>());
  // The leader's own match is the highest; the planted bug counts it alone as a majority.
  const uint64_t index = matches[planted(testing::Bug::kAckBeforeMajority) ? 0 : quorum() - 1];
  if (index <= log_.commit()) return false;
  // §5.4.2: only entries of the current term are committed by counting replicas.
  if (!planted(testing::Bug::kCommitOldTermByCount) && *log_.term(index) != term_) {
    return false;
  }
  log_.commit_to(index);
  return true;
}

void Raft::respond_append(const wire::Message& m, uint64_t index, bool reject, uint64_t hint) {
  wire::Message r;
  r.set_type(wire::MSG_APPEND_RESPONSE);
  r.set_to(m.from());
  r.set_index(index);
  r.set_reject(reject);
  r.set_reject_hint(hint);
  send(std::move(r));
}

void Raft::handle_append(const wire::Message& m) {
  if (m.index() < log_.commit()) {
    respond_append(m, log_.commit(), false, 0);
    return;
  }
  const std::vector<wire::Entry> entries(m.entries().begin(), m.entries().end());
  bool refused = false;
  const std::optional<uint64_t> last_new =
      log_.maybe_append(m.index(), m.log_term(), m.commit(), entries,
                        /*tolerate_committed_conflict=*/!planted(testing::Bug::kNone), &refused);
  if (last_new) {
    respond_append(m, *last_new, false, 0);
    return;
  }
  if (refused) return;  // planted bug only: silence, rather than a retry storm
  respond_append(m, m.index(), true, log_.find_conflict_by_term(m.index(), m.log_term()));
}

void Raft::handle_append_response(const wire::Message& m) {
  auto it = progress_.find(m.from());
  if (it == progress_.end()) return;
  Progress& pr = it->second;
  pr.recent_active = true;
  // Nobody can match beyond what we hold; only a planted test bug can produce such an
  // answer, and it is ignored rather than trusted.
  if (m.index() > log_.last_index()) return;
  if (m.reject()) {
    if (pr.maybe_decrease_to(m.index(), m.reject_hint())) {
      if (pr.state == ProgressState::kReplicate) pr.become_probe();
      maybe_send_append(m.from(), /*send_if_empty=*/true);
    }
    return;
  }
  const bool was_paused = pr.is_paused();
  if (!pr.maybe_update(m.index())) return;
  if (pr.state == ProgressState::kProbe) {
    pr.become_replicate();
  } else if (pr.state == ProgressState::kSnapshot && pr.match >= pr.pending_snapshot) {
    pr.become_probe();
    pr.become_replicate();
  } else if (pr.state == ProgressState::kReplicate) {
    pr.inflights.free_le(m.index());
  }
  if (maybe_commit()) {
    broadcast_append();
  } else if (was_paused) {
    maybe_send_append(m.from(), /*send_if_empty=*/true);
  }
  // Pipelining: keep sending while the window has room and entries remain.
  while (progress_.count(m.from()) != 0 && maybe_send_append(m.from(), false)) {
  }
  if (m.from() == lead_transferee_ && pr.match == log_.last_index()) {
    send_timeout_now(m.from());
  }
}

void Raft::handle_heartbeat(const wire::Message& m) {
  log_.commit_to(std::min(m.commit(), log_.last_index()));
  wire::Message r;
  r.set_type(wire::MSG_HEARTBEAT_RESPONSE);
  r.set_to(m.from());
  r.set_context(m.context());
  send(std::move(r));
}

void Raft::handle_heartbeat_response(const wire::Message& m) {
  auto it = progress_.find(m.from());
  if (it == progress_.end()) return;
  Progress& pr = it->second;
  pr.recent_active = true;
  pr.probe_sent = false;
  if (pr.state == ProgressState::kReplicate && pr.inflights.full()) pr.inflights.free_first();
  if (pr.match < log_.last_index() || pr.state == ProgressState::kProbe) {
    maybe_send_append(m.from(), /*send_if_empty=*/true);
  }
  if (m.context() > pr.read_ack) {
    pr.read_ack = m.context();
    release_reads();
  }
}

}  // namespace cairn::raft
