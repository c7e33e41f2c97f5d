// LeaderSession: the part of a client of a replicated group's front (the key-value store's
// KvService, the namespace's NamespaceService) that finds the leader, on any Runtime. The
// protocol-specific sessions (core/kv/kv_session.h, core/meta/namespace_session.h) wrap it:
// they build and send requests and read answers; this class decides where each attempt
// goes and when.
//
// Per operation: the first attempt goes to the server believed to lead; an answer "not
// leader" naming another server is followed at once; "no leader" and "unavailable" are
// retried after a back-off (doubling from `backoff` up to `backoff_max`); an attempt
// without an answer within its timeout moves on to the next server. The first attempt
// waits `attempt_timeout`; each one after a timeout waits twice as long as the last, up
// to `attempt_timeout_max`, so that a group slowed by load is not sent the same operation
// over and over while the first copy still waits in its queue (the retries would add the
// load that made it slow). After
// `max_attempts` attempts, or once `deadline` has passed, `done` gets Unavailable, meaning
// "not known to have happened" (a write may still have been applied). An "invalid" answer
// is InvalidArgument, final.
//
// Promises: a request id names the operation (its sequence, new per run()) and the attempt,
// so stale answers are told apart; `done` runs exactly once per run(), on the runtime's
// thread, never inside run() itself.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "core/runtime/runtime.h"

namespace cairn::raft {

struct LeaderSessionOptions {
  Duration attempt_timeout = std::chrono::milliseconds(500);
  Duration attempt_timeout_max = Duration(0);  // <= attempt_timeout: every wait is the same
  Duration backoff = std::chrono::milliseconds(50);
  Duration backoff_max = Duration(0);  // <= backoff: every back-off is `backoff`
  Duration deadline = Duration(0);     // per operation, retries included; 0: none
  uint32_t max_attempts = 30;          // per operation, in [1, 255]
  // How error messages name a server (e.g. by its address); null: "server N".
  std::function<std::string(NodeId)> server_name;
};

// How a front answered an attempt.
enum class ReplyKind { kOk, kNotLeader, kUnavailable, kInvalid };
// How a front reports a RaftService's answer (raft_service.h): FailedPrecondition is "not
// the leader", InvalidArgument "invalid", any other error "unavailable".
ReplyKind reply_kind(const absl::Status& status);

class LeaderSession {
 public:
  // Sends attempt `request_id` of the current operation to `server`.
  using Send = std::function<void(NodeId server, uint64_t request_id)>;
  using Done = std::function<void(absl::Status)>;
  static constexpr uint32_t kMaxAttempts = 255;

  // REQUIRES: servers non-empty; options.max_attempts in [1, 255];
  // options.attempt_timeout > 0.
  LeaderSession(Runtime& rt, std::vector<NodeId> servers, LeaderSessionOptions options);
  ~LeaderSession();
  LeaderSession(const LeaderSession&) = delete;
  LeaderSession& operator=(const LeaderSession&) = delete;

  // Starts an operation with a new sequence(); `send` makes each attempt, `done` gets OK
  // once an attempt is answered kOk. REQUIRES: !busy(); send and done non-null.
  void run(Send send, Done done);
  // True if `request_id` belongs to the operation under way (any of its attempts).
  bool current(uint64_t request_id) const;
  // An answer to `request_id` (stale ones are ignored). For kOk the caller keeps what it
  // needs from the answer before calling: `done` runs inside.
  void on_reply(uint64_t request_id, ReplyKind kind, NodeId leader_hint, const std::string& error);
  // The way to `server` is known to be broken (a refused or lost connection): if the
  // current attempt went there, try the next server after a back-off instead of waiting
  // for the attempt timeout. The simulator never calls it.
  void on_unreachable(NodeId server);

  bool busy() const { return active_; }
  // The current or last operation's sequence (1 for the first).
  uint64_t sequence() const { return seq_; }
  // The server believed to lead; the next operation starts there.
  NodeId leader_guess() const { return leader_guess_; }
  // REQUIRES: server != kNoNode.
  void set_leader_guess(NodeId server);
  // Attempts made by the current or last operation.
  uint32_t attempts() const { return attempt_; }
  NodeId next_server(NodeId after) const;

 private:
  void send_attempt();
  void back_off_then_retry();
  void finish(absl::Status status);
  absl::Status give_up_status() const;
  std::string name(NodeId server) const;

  Runtime& rt_;
  const std::vector<NodeId> servers_;
  const LeaderSessionOptions options_;
  NodeId leader_guess_;
  NodeId target_ = kNoNode;
  bool active_ = false;
  uint64_t seq_ = 0;
  uint32_t attempt_ = 0;
  uint32_t backoffs_ = 0;  // in this operation, for the doubling
  Duration wait_{};        // the current attempt's timeout
  Send send_;
  Done done_;
  std::string last_error_;
  TimerId timer_ = kNoTimer;
  TimerId deadline_timer_ = kNoTimer;
};

}  // namespace cairn::raft
