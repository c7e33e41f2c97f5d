// KvSession: one client's requests to the key-value protocol (core/kv/kv_service.h), one
// operation at a time, on any Runtime. KvClient (the simulator's workload driver) and the
// blocking client of the `cairn` CLI (runtime-real/kv_blocking_client.h) both run it, so
// redirects, back-off and retries are written once.
//
// Where each attempt goes and when (redirects, back-off, attempt timeouts, give-up) is
// raft::LeaderSession's (core/raft/leader_session.h); this class builds KvRequests and
// reads KvResponses. KV_INVALID is InvalidArgument; giving up is Unavailable, meaning
// "not known to have happened" (a write may still have been applied).
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
#include "core/raft/leader_session.h"
#include "core/runtime/runtime.h"

namespace cairn::kv {

using KvSessionOptions = raft::LeaderSessionOptions;

class KvSession {
 public:
  using Done = std::function<void(absl::StatusOr<wire::KvResult>)>;
  static constexpr uint32_t kMaxAttempts = raft::LeaderSession::kMaxAttempts;

  // REQUIRES: servers non-empty; client_id != 0; options.max_attempts in [1, 255];
  // options.attempt_timeout > 0.
  KvSession(Runtime& rt, std::vector<NodeId> servers, uint64_t client_id, KvSessionOptions options);

  // Starts an operation; `local_read` marks a get to be answered by whichever node gets
  // it, from its own state (possibly stale). REQUIRES: !busy(); done non-null.
  void run(wire::KvCommand command, Done done, bool local_read = false);
  // Every KvResponse the runtime delivers goes here (stale ones are ignored).
  void on_response(NodeId from, const wire::KvResponse& response);
  // See raft::LeaderSession::on_unreachable.
  void on_unreachable(NodeId server) { leader_.on_unreachable(server); }

  bool busy() const { return leader_.busy(); }
  NodeId leader_guess() const { return leader_.leader_guess(); }
  void set_leader_guess(NodeId server) { leader_.set_leader_guess(server); }
  uint32_t attempts() const { return leader_.attempts(); }
  uint64_t client_id() const { return client_id_; }
  NodeId next_server(NodeId after) const { return leader_.next_server(after); }

 private:
  Runtime& rt_;
  const uint64_t client_id_;
  raft::LeaderSession leader_;
  wire::KvCommand command_;
  wire::KvResult result_;
};

}  // namespace cairn::kv
