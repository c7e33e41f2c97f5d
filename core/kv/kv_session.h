// KvSession: one client's requests to the key-value protocol (core/kv/kv_service.h), one
// operation at a time, on any Runtime. KvClient (the simulator's workload driver) and the
// blocking client of the `cairn` CLI (runtime-real/kv_blocking_client.h) both run it, so
// redirects, back-off and retries are written once.
//
// Per operation: the command is sent to the leader the session believes in; a
// KV_NOT_LEADER hint naming another server is followed at once; "no leader" and
// "unavailable" are retried after a back-off (doubling from `backoff` up to
// `backoff_max`); an attempt without an answer within `attempt_timeout` moves on to the
// next server. After `max_attempts` attempts, or once `deadline` has passed, `done` gets
// Unavailable, meaning "not known to have happened" (a write may still have been
// applied). KV_INVALID is InvalidArgument.
//
// Promises: every command carries (client_id, sequence), the sequence new per operation
// and reused by all of its retries, so a write is applied at most once however often it
// is resent. `done` runs exactly once per run(), on the runtime's thread, never inside
// run() itself.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/kv/kv_client.pb.h"
#include "core/runtime/runtime.h"

namespace cairn::kv {

struct KvSessionOptions {
  Duration attempt_timeout = std::chrono::milliseconds(500);
  Duration backoff = std::chrono::milliseconds(50);
  Duration backoff_max = Duration(0);  // <= backoff: every back-off is `backoff`
  Duration deadline = Duration(0);     // per operation, retries included; 0: none
  uint32_t max_attempts = 30;          // per operation, in [1, 255]
  // How error messages name a server (e.g. by its address); null: "server N".
  std::function<std::string(NodeId)> server_name;
};

class KvSession {
 public:
  using Done = std::function<void(absl::StatusOr<wire::KvResult>)>;
  static constexpr uint32_t kMaxAttempts = 255;

  // REQUIRES: servers non-empty; client_id != 0; options.max_attempts in [1, 255];
  // options.attempt_timeout > 0.
  KvSession(Runtime& rt, std::vector<NodeId> servers, uint64_t client_id, KvSessionOptions options);
  ~KvSession();
  KvSession(const KvSession&) = delete;
  KvSession& operator=(const KvSession&) = delete;

  // Starts an operation. REQUIRES: !busy(); done non-null.
  void run(wire::KvCommand command, Done done);
  // Every KvResponse the runtime delivers goes here (stale ones are ignored).
  void on_response(NodeId from, const wire::KvResponse& response);
  // The way to `server` is known to be broken (a refused or lost connection): if the
  // current attempt went there, try the next server after a back-off instead of waiting
  // for the attempt timeout. The simulator never calls it.
  void on_unreachable(NodeId server);

  bool busy() const { return active_; }
  // The server believed to lead; the next operation starts there.
  NodeId leader_guess() const { return leader_guess_; }
  // REQUIRES: server is one of the servers.
  void set_leader_guess(NodeId server);
  // Attempts made by the current or last operation.
  uint32_t attempts() const { return attempt_; }
  uint64_t client_id() const { return client_id_; }
  NodeId next_server(NodeId after) const;

 private:
  void send_attempt();
  void back_off_then_retry();
  void finish(absl::StatusOr<wire::KvResult> result);
  absl::Status give_up_status() const;
  std::string name(NodeId server) const;

  Runtime& rt_;
  const std::vector<NodeId> servers_;
  const uint64_t client_id_;
  const KvSessionOptions options_;
  NodeId leader_guess_;
  NodeId target_ = kNoNode;
  bool active_ = false;
  uint64_t seq_ = 0;
  uint32_t attempt_ = 0;
  uint32_t backoffs_ = 0;  // in this operation, for the doubling
  wire::KvCommand command_;
  Done done_;
  std::string last_error_;
  TimerId timer_ = kNoTimer;
  TimerId deadline_timer_ = kNoTimer;
};

}  // namespace cairn::kv
