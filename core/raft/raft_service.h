// RaftService: Raft as a node's Service, replicating any StateMachine
// (core/raft/state_machine.h) on any Runtime (cairn-sim, cairnd, the manual test runtime).
//
// What it does: ticks the Raft state machine on a timer; recovers its durable state from
// the Runtime's Disk at start (DiskStorage: a torn or corrupt log tail is cut off, never
// applied); drains each Ready in the required order — persist and sync, THEN send, then
// apply committed entries to the StateMachine and serve reads, then advance; takes a
// local snapshot every `snapshot_every` applied entries; and serves Raft's admin protocol
// (core/raft/admin.proto). The application's own client protocol lives in a front service
// beside it (e.g. core/kv/kv_service.h), which calls propose() and read().
//
// Message types (core/wire/message_types.h):
//   kRaftMessage   peer traffic, header = raft::wire::Message
//   kAdminRequest  -> kAdminResponse status, add learner, promote, remove, transfer leader
// Contract of propose() and read(), whose `done` runs on the node's thread, once:
//   - Only the leader serves. Elsewhere: FailedPrecondition("not the leader"); leader_hint()
//     names the leader this node knows (0 if none).
//   - Unavailable means "not done here, maybe done elsewhere: retry" — never "failed":
//     still starting, busy (max_pending_requests waiting), leadership lost, or the entry
//     was replaced by another leader's.
//   - A read is linearizable: the query runs once the state machine has applied everything
//     committed when it was asked (ReadIndex).
//   - ADMIN_PROMOTE is refused (ADMIN_UNAVAILABLE) until the learner is within
//     promote_max_lag entries of the leader; ADMIN_TRANSFER_LEADER answers once started.
//   - When the service is destroyed (a crash), pending callbacks are dropped uncalled.
// If the disk fails or holds damaged durable state, the node stops taking part (it logs
// an error and a "raft_failed" event) rather than run on state it cannot trust.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/raft/admin.pb.h"
#include "core/raft/disk_storage.h"
#include "core/raft/raft.h"
#include "core/raft/raft_observer.h"
#include "core/raft/snapshot_pieces.h"
#include "core/raft/state_machine.h"
#include "core/runtime/service.h"

namespace cairn::raft {

struct RaftServiceConfig {
  // Voters of a brand-new group, the same list on every node (a node that is not in it
  // starts as a non-member and waits to be added as a learner).
  std::vector<cairn::NodeId> voters;
  // One Raft tick. Election timeout = raft.election_ticks ticks (randomized, see Config).
  Duration tick = std::chrono::milliseconds(10);
  // Template for the Raft core; id, peers and random_seed are filled in by the service.
  Config raft;
  // Folder on the node's Disk for the log, hard state and snapshot.
  std::string dir = "raft";
  // Applied entries between local snapshots (log compaction); 0 = never. A snapshot
  // also waits until the entries applied since the last one hold at least as many bytes
  // as that snapshot, so its cost stays proportional to the log it replaces. Node n
  // waits (n mod 4)/8 longer on both counts, so a group's members do not all snapshot at
  // once. The snapshot is written beside the pipeline (DiskStorage), not holding up Raft.
  uint64_t snapshot_every = 1000;
  // Requests waiting for a commit or a read index, per node; more are refused.
  size_t max_pending_requests = 4096;
  // How far behind the leader's log a learner may be and still be promoted.
  uint64_t promote_max_lag = 64;
  // Not owned; may be null. Called on the node's thread (see raft_observer.h).
  RaftObserver* observer = nullptr;
};

class RaftService final : public Service {
 public:
  using ResultDone = std::function<void(absl::StatusOr<std::string>)>;

  // REQUIRES: config.tick > 0; `rt` outlives the service; `machine` is not null.
  RaftService(Runtime& rt, RaftServiceConfig config, std::unique_ptr<StateMachine> machine);
  ~RaftService() override;

  // The message types it serves (message_types() of every instance).
  static std::vector<MessageType> types();

  std::vector<MessageType> message_types() const override;
  void start() override;
  void on_message(cairn::NodeId from, const Message& message) override;
  void check_invariants() const override;

  // Queries (nullptr / false / 0 until recovery has finished).
  const Raft* raft() const { return raft_.get(); }
  const StateMachine& state_machine() const { return *machine_; }
  // The leader this node knows, or kNoNode.
  cairn::NodeId leader_hint() const;
  bool running() const { return raft_ != nullptr && !failed_; }
  bool is_leader() const { return running() && raft_->role() == Role::kLeader; }
  const RecoveryReport& recovery() const { return storage_.report(); }
  size_t pending_requests() const { return writes_.size() + reads_.size() + admin_.size(); }

  // Replicates `command`; `done` gets the state machine's result once its entry applied.
  void propose(std::string command, ResultDone done);
  // Runs `query` against the state machine once it is linearizable to do so.
  void read(std::string query, ResultDone done);

 private:
  friend class testing::Faults;  // plants a test's protocol bug in raft_ (testing/faults.h)

  struct PendingWrite {  // a proposal waiting for its index to apply
    std::string command;
    ResultDone done;
  };
  struct PendingAdmin {  // a configuration change waiting for its index to apply
    cairn::NodeId from = kNoNode;
    uint64_t request_id = 0;
    wire::ConfChange change;
  };
  struct PendingRead {
    std::string query;
    ResultDone done;
  };

  // raft_service.cc: lifecycle and the Ready loop.
  void on_recovered(absl::Status status);
  void fail(const std::string& why);
  void tick();
  void pump();
  void finish_ready(Ready rd);
  void apply(const wire::Entry& e);
  void maybe_snapshot();
  void after_change();
  void emit(Event e);

  // raft_service_clients.cc: propose/read and the admin protocol.
  void on_admin_request(cairn::NodeId from, const Message& m);
  // Why this node cannot take a request now (OK if it can).
  absl::Status refusal() const;
  void serve_reads();
  void answer_write(uint64_t index, const wire::Entry& e,
                    const absl::StatusOr<std::string>& result);
  void fail_pending(const std::string& why);
  void reply_admin(cairn::NodeId to, wire::AdminResponse r);
  wire::AdminResponse admin_status(uint64_t request_id) const;
  bool room_for_request() const;

  Runtime& rt_;
  RaftServiceConfig config_;
  DiskStorage storage_;
  SnapshotAssembler pieces_;  // snapshots arriving in pieces (snapshot_pieces.h)
  std::unique_ptr<Raft> raft_;
  std::unique_ptr<StateMachine> machine_;
  TimerId tick_timer_ = kNoTimer;
  bool persisting_ = false;
  // Local snapshots (maybe_snapshot): the size of the last one taken here, and the bytes
  // of the entries applied since.
  uint64_t last_snapshot_bytes_ = 0;
  uint64_t applied_bytes_since_snapshot_ = 0;
  bool failed_ = false;
  bool was_leader_ = false;
  uint64_t leader_term_seen_ = 0;
  uint64_t next_read_id_ = 0;
  std::map<uint64_t, PendingWrite> writes_;  // by log index
  std::map<uint64_t, PendingRead> reads_;    // by read id
  std::map<uint64_t, PendingAdmin> admin_;   // by log index (configuration changes)
  std::vector<ReadState> read_states_;       // released but not yet applied far enough

  struct Counters {
    Counter* proposals;
    Counter* applied;
    Counter* reads;
    Counter* redirects;
    Counter* refused;
    Counter* elections_won;
    Counter* disk_writes;
    Counter* snapshots;
  } counters_;
};

}  // namespace cairn::raft
