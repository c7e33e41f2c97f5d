#include "core/kv/kv_service.h"

#include "core/base/assert.h"
#include "core/kv/kv_limits.h"
#include "core/kv/kv_state_machine.h"
#include "core/raft/leader_session.h"
#include "core/wire/message_types.h"

namespace cairn::kv {

KvService::KvService(Runtime& rt, raft::RaftService& raft) : rt_(rt), raft_(raft) {}

std::vector<MessageType> KvService::types() { return {cairn::wire::kKvRequest}; }

std::vector<MessageType> KvService::message_types() const { return types(); }

void KvService::on_message(NodeId from, const Message& m) {
  CAIRN_ASSERT(m.type == cairn::wire::kKvRequest);
  wire::KvRequest req;
  if (!req.ParseFromString(m.header)) {
    return answer(from, 0, absl::InvalidArgumentError("unreadable request"));
  }
  const uint64_t id = req.request_id();
  if (absl::Status st = check_limits(req.command()); !st.ok()) return answer(from, id, st);
  auto done = [this, from, id](absl::StatusOr<std::string> result) { answer(from, id, result); };
  if (req.command().op() == wire::KV_GET && req.local_read()) {
    if (!raft_.running()) return done(absl::UnavailableError("starting"));
    rt_.metrics().counter("kv_local_reads").add();
    return done(raft_.state_machine().query(req.command().SerializeAsString()));
  }
  if (req.command().op() == wire::KV_GET) {
    return raft_.read(req.command().SerializeAsString(), std::move(done));
  }
  raft_.propose(req.command().SerializeAsString(), std::move(done));
}

void KvService::answer(NodeId to, uint64_t request_id, const absl::StatusOr<std::string>& result) {
  wire::KvResponse r;
  r.set_request_id(request_id);
  r.set_leader_hint(raft_.leader_hint());
  if (result.ok()) {
    r.set_status(wire::KV_OK);
    if (!r.mutable_result()->ParseFromString(*result)) {
      r.set_status(wire::KV_UNAVAILABLE);
      r.set_error("unreadable result");
    }
    return reply(to, r);
  }
  const absl::Status& st = result.status();
  switch (raft::reply_kind(st)) {
    case raft::ReplyKind::kNotLeader:
      r.set_status(wire::KV_NOT_LEADER);
      break;
    case raft::ReplyKind::kInvalid:
      r.set_status(wire::KV_INVALID);
      break;
    default:
      r.set_status(wire::KV_UNAVAILABLE);
      break;
  }
  r.set_error(std::string(st.message()));
  reply(to, r);
}

void KvService::reply(NodeId to, const wire::KvResponse& r) {
  rt_.send(to, Message{.type = cairn::wire::kKvResponse, .header = r.SerializeAsString()});
}

absl::Status install(Node& node, raft::RaftServiceConfig config, size_t max_sessions) {
  auto raft = std::make_unique<raft::RaftService>(node.runtime(), std::move(config),
                                                  std::make_unique<KvStateMachine>(max_sessions));
  raft::RaftService& ref = *raft;
  if (absl::Status st = node.add(std::move(raft)); !st.ok()) return st;
  return node.add(std::make_unique<KvService>(node.runtime(), ref));
}

}  // namespace cairn::kv
