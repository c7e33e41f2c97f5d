#include "core/kv/kv_session.h"

#include "core/base/assert.h"
#include "core/wire/message_types.h"

namespace cairn::kv {

KvSession::KvSession(Runtime& rt, std::vector<NodeId> servers, uint64_t client_id,
                     KvSessionOptions options)
    : rt_(rt), client_id_(client_id), leader_(rt, std::move(servers), std::move(options)) {
  CAIRN_ASSERT(client_id_ != 0);
}

void KvSession::run(wire::KvCommand command, Done done, bool local_read) {
  CAIRN_ASSERT(done != nullptr);
  CAIRN_ASSERT(!local_read || command.op() == wire::KV_GET);
  command_ = std::move(command);
  command_.set_client_id(client_id_);
  auto send = [this, local_read](NodeId to, uint64_t request_id) {
    command_.set_sequence(leader_.sequence());
    wire::KvRequest req;
    req.set_request_id(request_id);
    req.set_local_read(local_read);
    *req.mutable_command() = command_;
    rt_.send(to, Message{.type = cairn::wire::kKvRequest, .header = req.SerializeAsString()});
  };
  leader_.run(std::move(send), [this, done = std::move(done)](absl::Status st) {
    if (!st.ok()) return done(std::move(st));
    done(std::move(result_));
  });
}

void KvSession::on_response(NodeId, const wire::KvResponse& r) {
  if (!leader_.current(r.request_id())) return;
  raft::ReplyKind kind = raft::ReplyKind::kUnavailable;
  switch (r.status()) {
    case wire::KV_OK:
      kind = raft::ReplyKind::kOk;
      result_ = r.result();
      break;
    case wire::KV_NOT_LEADER:
      kind = raft::ReplyKind::kNotLeader;
      break;
    case wire::KV_INVALID:
      kind = raft::ReplyKind::kInvalid;
      break;
    default:
      break;
  }
  leader_.on_reply(r.request_id(), kind, static_cast<NodeId>(r.leader_hint()), r.error());
}

}  // namespace cairn::kv
