// NamespaceSession: a client's side of the namespace protocol
// (core/meta/namespace_client.proto), on any Runtime: the file client (core/client), the
// simulator's workloads and the `cairn` CLI all run it.
//
// Where each attempt goes and when (redirects to the leader, back-off, attempt timeouts,
// give-up) is raft::LeaderSession's (core/raft/leader_session.h). Calls made while one is
// under way wait their turn, in order. Every command carries (client_id, sequence), the
// sequence new per command and reused by its retries, so a write is applied at most once.
//
// Promises: `done` runs exactly once per call, on the runtime's thread, never inside the
// call itself. It gets the NsResult when the namespace said OK; the namespace's own
// status (NotFound, AlreadyExists, FailedPrecondition, InvalidArgument, ...) unchanged when
// it refused; Unavailable when no leader answered (a write may still have been applied);
// InvalidArgument when a node could not read the request.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "core/meta/namespace_client.pb.h"
#include "core/raft/leader_session.h"
#include "core/runtime/runtime.h"

namespace cairn::meta {

class NamespaceSession {
 public:
  using Done = std::function<void(absl::StatusOr<wire::NsResult>)>;

  // REQUIRES: servers non-empty; client_id != 0; options as raft::LeaderSession's.
  NamespaceSession(Runtime& rt, std::vector<NodeId> servers, uint64_t client_id,
                   raft::LeaderSessionOptions options);

  void command(wire::NsCommand command, Done done);
  void query(wire::NsQuery query, Done done);

  // Every kNsResponse the runtime delivers goes here (stale ones are ignored).
  void on_response(NodeId from, const Message& message);
  void on_unreachable(NodeId server) { leader_.on_unreachable(server); }

  uint64_t client_id() const { return client_id_; }
  size_t queued() const { return queue_.size() + (leader_.busy() ? 1 : 0); }

 private:
  struct Call {
    wire::NsRequest request;
    Done done;
  };
  void enqueue(Call call);
  void run_next();

  Runtime& rt_;
  const uint64_t client_id_;
  raft::LeaderSession leader_;
  uint64_t commands_ = 0;  // the last command's sequence
  std::deque<Call> queue_;
  Call current_;
  wire::NsResult result_;
};

}  // namespace cairn::meta
