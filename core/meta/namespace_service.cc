#include "core/meta/namespace_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/meta/namespace_state_machine.h"
#include "core/raft/leader_session.h"
#include "core/raft/mux_state_machine.h"
#include "core/storage/status_wire.h"
#include "core/wire/message_types.h"

namespace cairn::meta {

NamespaceService::NamespaceService(Runtime& rt, raft::RaftService& raft, NodeRoster roster)
    : rt_(rt), raft_(raft), roster_(std::move(roster)) {}

std::vector<MessageType> NamespaceService::types() { return {cairn::wire::kNsRequest}; }

void NamespaceService::on_message(NodeId from, const Message& m) {
  CAIRN_ASSERT(m.type == cairn::wire::kNsRequest);
  wire::NsRequest req;
  if (!req.ParseFromString(m.header) || req.op_case() == wire::NsRequest::OP_NOT_SET) {
    return answer(from, req.request_id(), absl::InvalidArgumentError("unreadable request"));
  }
  const uint64_t id = req.request_id();
  auto done = [this, from, id](absl::StatusOr<std::string> result) { answer(from, id, result); };
  if (req.has_query()) {
    return raft_.read(
        raft::MuxStateMachine::wrap(kNamespaceChannel, req.query().SerializeAsString()),
        std::move(done));
  }
  wire::NsCommand& c = *req.mutable_command();
  if (c.has_register_node()) {
    if (absl::Status st = check_registration(c.register_node().node().id()); !st.ok()) {
      wire::NsResult refused;
      storage::to_wire(st, refused.mutable_status());
      return answer(from, id, refused.SerializeAsString());
    }
  }
  c.set_now_ms(rt_.wall_ms());
  raft_.propose(raft::MuxStateMachine::wrap(kNamespaceChannel, c.SerializeAsString()),
                std::move(done));
}

absl::Status NamespaceService::check_registration(uint32_t node) const {
  if (roster_.storage.empty() && roster_.meta.empty()) return absl::OkStatus();
  auto has = [node](const std::vector<NodeId>& ids) {
    return std::find(ids.begin(), ids.end(), node) != ids.end();
  };
  if (has(roster_.storage)) return absl::OkStatus();
  const auto& mux = dynamic_cast<const raft::MuxStateMachine&>(raft_.state_machine());
  const auto& ns = dynamic_cast<const NamespaceStateMachine&>(mux.machine(kNamespaceChannel));
  if (ns.registry().nodes().count(node) != 0) return absl::OkStatus();
  if (has(roster_.meta)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "node ", node, " is a meta node without the storage role: it holds no shards"));
  }
  return absl::NotFoundError(
      absl::StrCat("node ", node, " is neither a configured nor a registered storage node"));
}

void NamespaceService::answer(NodeId to, uint64_t request_id,
                              const absl::StatusOr<std::string>& result) {
  wire::NsResponse r;
  r.set_request_id(request_id);
  r.set_leader_hint(raft_.leader_hint());
  if (result.ok() && !r.mutable_result()->ParseFromString(*result)) {
    r.clear_result();
    r.set_status(wire::NS_UNAVAILABLE);
    r.set_error("unreadable result");
  } else if (!result.ok()) {
    switch (raft::reply_kind(result.status())) {
      case raft::ReplyKind::kNotLeader:
        r.set_status(wire::NS_NOT_LEADER);
        break;
      case raft::ReplyKind::kInvalid:
        r.set_status(wire::NS_INVALID);
        break;
      default:
        r.set_status(wire::NS_UNAVAILABLE);
        break;
    }
    r.set_error(std::string(result.status().message()));
  }
  rt_.send(to, Message{.type = cairn::wire::kNsResponse, .header = r.SerializeAsString()});
}

}  // namespace cairn::meta
