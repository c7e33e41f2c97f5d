// RaftService: Raft and the replicated key-value store as a node's Service, on any Runtime
// (cairn-sim, cairnd, the manual test runtime).
//
// What it does: ticks the Raft state machine on a timer; recovers its durable state from
// the Runtime's Disk at start (DiskStorage: a torn or corrupt log tail is cut off, never
// applied); drains each Ready in the required order — persist and sync, THEN send, then
// apply committed entries to the KvStateMachine and serve reads, then advance; takes a
// local snapshot every `snapshot_every` applied entries; and serves the client protocol of
// core/raft/kv_client.proto.
//
// Message types (core/wire/message_types.h):
//   kRaftMessage   peer traffic, header = raft::wire::Message
//   kKvRequest     -> kKvResponse    put / get / cas / delete
//   kAdminRequest  -> kAdminResponse status, add learner, promote, remove, transfer leader
// Responses go back to the sender of the request. Client contract:
//   - Only the leader serves. Other nodes answer KV_NOT_LEADER with leader_hint (the
//     leader they know, 0 if none): retry there, or elsewhere after a short back-off.
//   - Writes carry (client_id, sequence); a retry reuses them and is applied at most once.
//     KV_UNAVAILABLE means "not done here, maybe done elsewhere: retry" — never "failed".
//   - A get is linearizable: served by ReadIndex once the state machine caught up.
//   - ADMIN_PROMOTE is refused (KV_UNAVAILABLE) until the learner is within
//     promote_max_lag entries of the leader; ADMIN_TRANSFER_LEADER answers once started.
//   - At most max_pending_requests requests wait per node; more get KV_UNAVAILABLE.
// If the disk fails or holds damaged durable state, the node stops taking part (it logs
// an error and a "raft_failed" event) rather than run on state it cannot trust.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/raft/disk_storage.h"
#include "core/raft/kv_client.pb.h"
#include "core/raft/kv_state_machine.h"
#include "core/raft/raft.h"
#include "core/raft/raft_observer.h"
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
  // Applied entries between local snapshots (log compaction); 0 = never.
  uint64_t snapshot_every = 1000;
  // Requests waiting for a commit or a read index, per node; more are refused.
  size_t max_pending_requests = 4096;
  // Client sessions kept by the state machine (least recently used expire first).
  size_t max_sessions = 1024;
  // How far behind the leader's log a learner may be and still be promoted.
  uint64_t promote_max_lag = 64;
  // Not owned; may be null. Called on the node's thread (see raft_observer.h).
  RaftObserver* observer = nullptr;
};

class RaftService final : public Service {
 public:
  // REQUIRES: config.tick > 0; `rt` outlives the service.
  RaftService(Runtime& rt, RaftServiceConfig config);
  ~RaftService() override;

  std::vector<MessageType> message_types() const override;
  void start() override;
  void on_message(cairn::NodeId from, const Message& message) override;
  void check_invariants() const override;

  // Queries (nullptr / false / 0 until recovery has finished).
  const Raft* raft() const { return raft_.get(); }
  const KvStateMachine& kv() const { return kv_; }
  bool running() const { return raft_ != nullptr && !failed_; }
  bool is_leader() const { return running() && raft_->role() == Role::kLeader; }
  const RecoveryReport& recovery() const { return storage_.report(); }
  size_t pending_requests() const { return writes_.size() + reads_.size() + admin_.size(); }

 private:
  struct PendingWrite {  // a proposal waiting for its index to apply
    cairn::NodeId from = kNoNode;
    uint64_t request_id = 0;
    bool admin = false;
    wire::KvCommand command;  // kv
    wire::ConfChange change;  // admin
  };
  struct PendingRead {
    cairn::NodeId from = kNoNode;
    uint64_t request_id = 0;
    std::string key;
    uint64_t index = 0;  // 0 until the ReadState arrives
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

  // raft_service_clients.cc: the client and admin protocol.
  void on_kv_request(cairn::NodeId from, const Message& m);
  void on_admin_request(cairn::NodeId from, const Message& m);
  void start_read(cairn::NodeId from, uint64_t request_id, const std::string& key);
  void serve_reads();
  void answer_write(uint64_t index, const wire::Entry& e,
                    const std::optional<wire::KvResult>& result);
  void fail_pending(const std::string& why);
  void reply_kv(cairn::NodeId to, wire::KvResponse r);
  void reply_admin(cairn::NodeId to, wire::AdminResponse r);
  wire::KvResponse kv_refusal(uint64_t request_id, wire::KvStatus status,
                              const std::string& why) const;
  wire::AdminResponse admin_status(uint64_t request_id) const;
  bool room_for_request() const;

  Runtime& rt_;
  RaftServiceConfig config_;
  DiskStorage storage_;
  std::unique_ptr<Raft> raft_;
  KvStateMachine kv_;
  TimerId tick_timer_ = kNoTimer;
  bool persisting_ = false;
  bool failed_ = false;
  bool was_leader_ = false;
  uint64_t leader_term_seen_ = 0;
  uint64_t next_read_id_ = 0;
  std::map<uint64_t, PendingWrite> writes_;  // by log index
  std::map<uint64_t, PendingRead> reads_;    // by read id
  std::map<uint64_t, PendingWrite> admin_;   // by log index (configuration changes)
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
