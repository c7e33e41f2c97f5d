// NamespaceService: the namespace's client protocol (core/meta/namespace_client.proto) in
// front of the meta group's RaftService, whose MuxStateMachine holds a
// NamespaceStateMachine on channel kNamespaceChannel (core/meta/roles.h installs both).
//
// A command is stamped with this leader's wall clock (NsCommand.now_ms, the only time the
// state machine sees) and proposed; a query is a linearizable read. Answers: NS_NOT_LEADER
// with leader_hint when this node does not lead; NS_UNAVAILABLE for anything to retry;
// NS_INVALID for a request it cannot read; NS_OK with the namespace's NsResult otherwise.
//
// A client's RegisterNode (how an operator drains a node) is checked against the configured
// members first: an id that is neither a configured storage node nor registered is answered
// NotFound, a meta node that stores nothing InvalidArgument, and nothing is proposed.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "core/meta/namespace_client.pb.h"
#include "core/raft/raft_service.h"
#include "core/runtime/service.h"

namespace cairn::meta {

// The namespace's channel in the meta group's MuxStateMachine.
inline constexpr uint8_t kNamespaceChannel = 1;

// The configured members a RegisterNode is checked against; both empty: no check.
struct NodeRoster {
  std::vector<NodeId> storage;
  std::vector<NodeId> meta;
};

class NamespaceService final : public Service {
 public:
  // REQUIRES: `raft` lives on the same node, outlives this service, and replicates a
  // MuxStateMachine with the namespace on kNamespaceChannel.
  NamespaceService(Runtime& rt, raft::RaftService& raft, NodeRoster roster = {});

  static std::vector<MessageType> types();
  std::vector<MessageType> message_types() const override { return types(); }
  void start() override {}
  void on_message(NodeId from, const Message& message) override;

 private:
  void answer(NodeId to, uint64_t request_id, const absl::StatusOr<std::string>& result);
  // OK if `node` may be registered: see the header comment.
  absl::Status check_registration(uint32_t node) const;

  Runtime& rt_;
  raft::RaftService& raft_;
  NodeRoster roster_;
};

}  // namespace cairn::meta
