// Raft consensus as a pure, deterministic state machine (core/raft), in the shape of
// etcd-io/raft. Specification: the Raft paper and Ongaro's dissertation.
//
// Inputs: step(message), tick(), propose(...), propose_conf_change(...), read_index(...),
// transfer_leadership(...), compact(...). Output: ready() returns a Ready batch (see
// types.h for the order in which a driver must persist, send and apply it), then the
// driver calls advance(ready). Nothing here reads a clock, blocks, or does I/O: the same
// inputs always produce the same outputs.
//
// Features: elections with randomized timeouts, PreVote and CheckQuorum; pipelined,
// batched replication with a bounded window per follower; snapshots and InstallSnapshot;
// single-server membership changes with learners; leadership transfer (TimeoutNow);
// ReadIndex reads (lease reads optional). Configuration changes take effect when applied,
// and a leader proposes one only after every earlier one has been applied.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/raft/progress.h"
#include "core/raft/raft_log.h"
#include "core/raft/storage.h"
#include "core/raft/types.h"

namespace cairn::raft {

namespace testing {
enum class Bug : uint8_t;  // planted protocol bugs, tests only (core/raft/testing/faults.h)
class Faults;
}  // namespace testing

class Raft {
 public:
  // Builds a node from its persisted state. InvalidArgument for a bad config, DataLoss for
  // persisted state that is inconsistent.
  static absl::StatusOr<std::unique_ptr<Raft>> create(const Config& config, const Storage& storage);

  // ---- inputs ----
  // One unit of logical time: drives election timeouts, heartbeats and CheckQuorum.
  void tick();
  // A message from a peer. InvalidArgument if it is not addressed to this node.
  absl::Status step(const wire::Message& message);
  // Appends a command. Returns its log index. Unavailable if not the leader (retry on
  // leader()), during a leadership transfer, while the leader's own removal is in its log
  // but not yet applied, or when too many entries are uncommitted.
  absl::StatusOr<uint64_t> propose(std::string data);
  // FailedPrecondition while an earlier change is not yet applied, or if it would leave
  // no voter; Unavailable if not the leader. A leader may remove itself: it then takes no
  // more proposals, and once the removal applies it hands leadership to a caught-up voter
  // and steps down (see membership.cc).
  absl::StatusOr<uint64_t> propose_conf_change(const wire::ConfChange& change);
  // Hands leadership to `target` (a voter) once its log is caught up.
  absl::Status transfer_leadership(NodeId target);
  // Asks for a linearizable read point; a ReadState with `request_id` comes out in a later
  // Ready. Unavailable if not the leader or before the leader commits in its term.
  absl::Status read_index(uint64_t request_id);
  // Starts an election now (tests, bootstrap). No-op unless this node is a voter.
  void campaign();
  // Replaces the log up to `index` by a snapshot holding `data` (the state machine at
  // `index`). REQUIRES: index == applied index. FailedPrecondition otherwise.
  absl::Status compact(uint64_t index, std::string data);

  // ---- output ----
  bool has_ready() const;
  // REQUIRES: the previous Ready was passed to advance().
  Ready ready();
  void advance(const Ready& ready);

  // ---- queries ----
  NodeId id() const { return config_.id; }
  Role role() const { return role_; }
  uint64_t term() const { return term_; }
  NodeId leader() const { return leader_; }
  NodeId vote() const { return vote_; }
  const RaftLog& log() const { return log_; }
  const std::set<NodeId>& voters() const { return voters_; }
  const std::set<NodeId>& learners() const { return learners_; }
  bool is_voter() const { return voters_.count(config_.id) != 0; }
  // The leader's view of a peer; nullptr if not leader or unknown peer.
  const Progress* progress(NodeId peer) const;
  // Leader only: is a learner within `max_lag` entries of the leader's log?
  bool caught_up(NodeId peer, uint64_t max_lag) const;
  // Aborts (CAIRN_ASSERT) if an internal invariant does not hold.
  void check_invariants() const;

 private:
  friend class testing::Faults;

  Raft(const Config& config, const PersistentState& state);
  bool planted(testing::Bug bug) const { return planted_bug_ == bug; }

  // raft.cc: roles and dispatch
  void reset(uint64_t term);
  void become_follower(uint64_t term, NodeId leader);
  void become_pre_candidate();
  void become_candidate();
  void become_leader();
  bool handle_term(const wire::Message& m);
  void step_leader(const wire::Message& m);
  void step_candidate(const wire::Message& m);
  void step_follower(const wire::Message& m);
  void send(wire::Message m);
  void tick_election();
  void tick_heartbeat();
  wire::HardState hard_state() const;
  void reset_randomized_timeout();
  uint64_t quorum() const { return voters_.size() / 2 + 1; }

  // election.cc
  void start_election(bool pre_vote, bool force);
  void handle_vote_request(const wire::Message& m);
  void handle_vote_response(const wire::Message& m);
  bool quorum_active() const;

  // replication.cc
  void append_entry(wire::EntryType type, std::string data);
  bool maybe_send_append(NodeId to, bool send_if_empty);
  void broadcast_append();
  void broadcast_heartbeat();
  bool maybe_commit();
  void handle_append(const wire::Message& m);
  void handle_append_response(const wire::Message& m);
  void handle_heartbeat(const wire::Message& m);
  void handle_heartbeat_response(const wire::Message& m);
  void respond_append(const wire::Message& m, uint64_t index, bool reject, uint64_t hint);
  std::vector<NodeId> peers() const;

  // snapshot.cc
  bool send_snapshot(NodeId to, Progress& pr);
  void handle_snapshot(const wire::Message& m);
  void tick_snapshot_waits();

  // membership.cc
  void apply_conf_change(const wire::ConfChange& change);
  void set_configuration(const wire::ConfState& conf);
  // A committed configuration change not yet applied: our voter set may be stale.
  bool has_unapplied_conf_change() const;
  wire::ConfState conf_state() const;
  void add_progress(NodeId id);
  void send_timeout_now(NodeId to);
  // Is a change removing this node in the log beyond the applied index? (leader only)
  bool removal_in_log() const;
  // A leader that just applied its own removal: TimeoutNow to the most caught-up voter.
  void hand_off_leadership();

  // read_index.cc
  void release_reads();

  Config config_;
  testing::Bug planted_bug_{};  // value 0: none; only a test's Faults::plant() sets it
  SplitMix64 rng_;
  RaftLog log_;
  uint64_t term_ = 0;
  NodeId vote_ = kNoNode;
  NodeId leader_ = kNoNode;
  Role role_ = Role::kFollower;
  std::set<NodeId> voters_;
  std::set<NodeId> learners_;
  std::map<NodeId, Progress> progress_;  // leader only; ordered for determinism
  std::map<NodeId, bool> votes_;         // candidate only
  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_election_timeout_ = 0;
  NodeId lead_transferee_ = kNoNode;
  uint64_t pending_conf_index_ = 0;
  bool leaving_ = false;  // leader only: our own removal is in the log, not yet applied
  bool timeout_now_deferred_ = false;  // follower: TimeoutNow waits for a pending apply

  wire::Snapshot snapshot_;  // latest snapshot (sent to followers that fell behind)
  bool snapshot_unstable_ = false;
  bool restore_pending_ = false;
  wire::HardState persisted_hard_state_;
  bool ready_outstanding_ = false;

  std::vector<wire::Message> outbox_;
  std::vector<ReadState> read_states_;
  struct PendingRead {
    uint64_t round = 0;
    uint64_t request_id = 0;
    uint64_t index = 0;
  };
  std::deque<PendingRead> pending_reads_;
  uint64_t read_round_ = 0;
};

}  // namespace cairn::raft
