#include "core/meta/namespace_session.h"

#include "core/base/assert.h"
#include "core/storage/status_wire.h"
#include "core/wire/message_types.h"

namespace cairn::meta {

NamespaceSession::NamespaceSession(Runtime& rt, std::vector<NodeId> servers, uint64_t client_id,
                                   raft::LeaderSessionOptions options)
    : rt_(rt), client_id_(client_id), leader_(rt, std::move(servers), std::move(options)) {
  CAIRN_ASSERT(client_id_ != 0);
}

void NamespaceSession::command(wire::NsCommand command, Done done) {
  command.set_client_id(client_id_);
  command.set_sequence(++commands_);  // a retry is an attempt of the same call: same sequence
  Call call{.done = std::move(done)};
  *call.request.mutable_command() = std::move(command);
  enqueue(std::move(call));
}

void NamespaceSession::query(wire::NsQuery query, Done done) {
  Call call{.done = std::move(done)};
  *call.request.mutable_query() = std::move(query);
  enqueue(std::move(call));
}

void NamespaceSession::enqueue(Call call) {
  CAIRN_ASSERT(call.done != nullptr);
  queue_.push_back(std::move(call));
  if (!leader_.busy()) run_next();
}

void NamespaceSession::run_next() {
  if (queue_.empty() || leader_.busy()) return;
  current_ = std::move(queue_.front());
  queue_.pop_front();
  auto send = [this](NodeId to, uint64_t request_id) {
    current_.request.set_request_id(request_id);
    rt_.send(to, Message{.type = cairn::wire::kNsRequest,
                         .header = current_.request.SerializeAsString()});
  };
  leader_.run(std::move(send), [this](absl::Status st) {
    Done done = std::move(current_.done);
    current_ = Call{};
    absl::StatusOr<wire::NsResult> out = std::move(result_);
    if (!st.ok()) {
      out = std::move(st);
    } else if (absl::Status ns = storage::from_wire(out->status()); !ns.ok()) {
      out = std::move(ns);
    }
    result_ = wire::NsResult();
    // The next call starts before this one's answer is handed over, so a caller that
    // queues more from `done` keeps its order.
    run_next();
    done(std::move(out));
  });
}

void NamespaceSession::on_response(NodeId, const Message& m) {
  wire::NsResponse r;
  if (!r.ParseFromString(m.header) || !leader_.current(r.request_id())) return;
  raft::ReplyKind kind = raft::ReplyKind::kUnavailable;
  switch (r.status()) {
    case wire::NS_OK:
      kind = raft::ReplyKind::kOk;
      result_ = std::move(*r.mutable_result());
      break;
    case wire::NS_NOT_LEADER:
      kind = raft::ReplyKind::kNotLeader;
      break;
    case wire::NS_INVALID:
      kind = raft::ReplyKind::kInvalid;
      break;
    default:
      break;
  }
  leader_.on_reply(r.request_id(), kind, static_cast<NodeId>(r.leader_hint()), r.error());
}

}  // namespace cairn::meta
