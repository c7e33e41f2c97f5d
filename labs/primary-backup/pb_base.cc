#include "labs/primary-backup/pb_base.h"

#include "core/base/assert.h"
#include "core/wire/message_types.h"

namespace cairn::labs::pb {

void PbOptions::visit(SettingsVisitor& v) {
  v.duration("ping_interval", ping_interval);
  v.duration("tick_interval", tick_interval);
}

absl::Status PbOptions::validate() const {
  if (ping_interval <= Duration(0) || tick_interval <= Duration(0)) {
    return absl::InvalidArgumentError("ping_interval and tick_interval must be positive");
  }
  return absl::OkStatus();
}

kv::wire::KvResult PbStore::apply(const kv::wire::KvCommand& command) {
  raft::wire::Entry e;
  e.set_index(machine_.applied_index() + 1);
  e.set_data(command.SerializeAsString());
  absl::StatusOr<std::string> out = machine_.apply(e);
  CAIRN_ASSERT(out.ok());
  kv::wire::KvResult r;
  CAIRN_ASSERT(r.ParseFromString(*out));
  return r;
}

bool PbStore::restore(const std::string& snapshot) {
  kv::KvStateMachine fresh;
  if (!fresh.restore(snapshot).ok()) return false;
  return machine_.restore(snapshot).ok();
}

PbServerBase::PbServerBase(Runtime& rt, NodeId view_service, PbOptions options)
    : rt_(rt), view_service_(view_service), options_(options) {
  CAIRN_ASSERT(view_service_ != kNoNode);
  CAIRN_ASSERT(options_.validate().ok());
}

PbServerBase::~PbServerBase() {
  rt_.cancel(ping_timer_);
  rt_.cancel(tick_timer_);
}

std::vector<MessageType> PbServerBase::message_types() const {
  return {kPbView, kPbPeer, cairn::wire::kKvRequest};
}

void PbServerBase::start() {
  ping();
  tick_timer_ = rt_.after(options_.tick_interval, [this] { tick(); });
}

void PbServerBase::ping() {
  wire::Ping p;
  // A server that is not primary has nothing to prepare: it acknowledges what it knows.
  p.set_acked(is_primary() ? acked_ : view_.num());
  rt_.send(view_service_, Message{.type = kPbPing, .header = p.SerializeAsString()});
  ping_timer_ = rt_.after(options_.ping_interval, [this] { ping(); });
}

void PbServerBase::tick() {
  on_tick();
  tick_timer_ = rt_.after(options_.tick_interval, [this] { tick(); });
}

void PbServerBase::on_view(const wire::View& v) {
  if (v.num() <= view_.num()) return;
  const wire::View old = view_;
  view_ = v;
  on_view_change(old);
}

void PbServerBase::on_message(NodeId from, const Message& m) {
  if (m.type == kPbView) {
    wire::View v;
    if (from == view_service_ && v.ParseFromString(m.header)) on_view(v);
    return;
  }
  if (m.type == cairn::wire::kKvRequest) {
    kv::wire::KvRequest req;
    if (!req.ParseFromString(m.header)) return;
    on_client_request(ClientRequest{from, req.request_id(), req.command()});
    return;
  }
  wire::Peer p;
  if (m.type != kPbPeer || !p.ParseFromString(m.header)) return;
  switch (p.body_case()) {
    case wire::Peer::kForward:
      return on_forward(from, p.forward());
    case wire::Peer::kForwardReply:
      return on_forward_reply(from, p.forward_reply());
    case wire::Peer::kState:
      return on_state(from, p.state());
    case wire::Peer::kStateReply:
      return on_state_reply(from, p.state_reply());
    default:
      return;
  }
}

void PbServerBase::send(NodeId to, const wire::Peer& message) {
  rt_.send(to, Message{.type = kPbPeer, .header = message.SerializeAsString()});
}

void PbServerBase::answer(const ClientRequest& request, const kv::wire::KvResponse& response) {
  rt_.send(request.from,
           Message{.type = cairn::wire::kKvResponse, .header = response.SerializeAsString()});
}

void PbServerBase::reply(const ClientRequest& request, const kv::wire::KvResult& result) {
  kv::wire::KvResponse r;
  r.set_request_id(request.request_id);
  r.set_status(kv::wire::KV_OK);
  *r.mutable_result() = result;
  answer(request, r);
}

void PbServerBase::reply_not_primary(const ClientRequest& request) {
  kv::wire::KvResponse r;
  r.set_request_id(request.request_id);
  r.set_status(kv::wire::KV_NOT_LEADER);
  r.set_leader_hint(view_.primary() == self() ? 0 : view_.primary());
  answer(request, r);
}

void PbServerBase::reply_unavailable(const ClientRequest& request) {
  kv::wire::KvResponse r;
  r.set_request_id(request.request_id);
  r.set_status(kv::wire::KV_UNAVAILABLE);
  answer(request, r);
}

}  // namespace cairn::labs::pb
