// KvService: the key-value store's client protocol (core/kv/kv_client.proto) in front of a
// RaftService that replicates a KvStateMachine (core/kv).
//
// It turns each kKvRequest into a proposal (put, cas, delete) or a linearizable read (get)
// on the RaftService beside it on the same node, and answers kKvResponse to the sender
// (a get marked local_read is answered at once from this node's applied state, leader or
// not, possibly stale, and counted in the metric kv_local_reads):
//   - KV_NOT_LEADER with leader_hint when this node does not lead;
//   - KV_UNAVAILABLE for anything to retry (starting, busy, leadership lost, replaced);
//   - KV_INVALID for a request it cannot read, or one over the size limits
//     (core/kv/kv_limits.h), which is never proposed.
// Writes carry (client_id, sequence); the state machine applies a retried one at most once.
// install() puts the whole replicated role on a node: Raft, the state machine and this front.
#pragma once

#include <memory>
#include <vector>

#include "core/kv/kv_client.pb.h"
#include "core/raft/raft_service.h"
#include "core/runtime/service.h"

namespace cairn::kv {

class KvService final : public Service {
 public:
  // REQUIRES: `raft` lives on the same node and outlives this service.
  KvService(Runtime& rt, raft::RaftService& raft);

  // The message types it serves (message_types() of every instance).
  static std::vector<MessageType> types();

  std::vector<MessageType> message_types() const override;
  void start() override {}
  void on_message(NodeId from, const Message& message) override;

 private:
  void answer(NodeId to, uint64_t request_id, const absl::StatusOr<std::string>& result);
  void reply(NodeId to, const wire::KvResponse& r);

  Runtime& rt_;
  raft::RaftService& raft_;
};

// Adds a RaftService replicating a KvStateMachine (keeping at most `max_sessions` client
// sessions) and its KvService front to `node`. InvalidArgument if a message type is taken.
absl::Status install(Node& node, raft::RaftServiceConfig config, size_t max_sessions);

}  // namespace cairn::kv
