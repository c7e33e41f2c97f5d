// RaftService's client and admin protocol (core/raft/kv_client.proto): redirects,
// proposals answered when their entry applies, ReadIndex reads, membership changes.
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/raft/raft_service.h"
#include "core/wire/message_types.h"

namespace cairn::raft {

bool RaftService::room_for_request() const {
  return pending_requests() < config_.max_pending_requests;
}

wire::KvResponse RaftService::kv_refusal(uint64_t request_id, wire::KvStatus status,
                                         const std::string& why) const {
  wire::KvResponse r;
  r.set_request_id(request_id);
  r.set_status(status);
  r.set_error(why);
  if (raft_ != nullptr) r.set_leader_hint(raft_->leader());
  return r;
}

void RaftService::reply_kv(cairn::NodeId to, wire::KvResponse r) {
  if (r.status() != wire::KV_OK) counters_.refused->add();
  rt_.send(to, Message{.type = cairn::wire::kKvResponse, .header = r.SerializeAsString()});
}

void RaftService::reply_admin(cairn::NodeId to, wire::AdminResponse r) {
  rt_.send(to, Message{.type = cairn::wire::kAdminResponse, .header = r.SerializeAsString()});
}

void RaftService::on_kv_request(cairn::NodeId from, const Message& m) {
  wire::KvRequest req;
  if (!req.ParseFromString(m.header)) {
    return reply_kv(from, kv_refusal(0, wire::KV_INVALID, "unreadable request"));
  }
  const uint64_t id = req.request_id();
  if (!running()) return reply_kv(from, kv_refusal(id, wire::KV_UNAVAILABLE, "starting"));
  if (raft_->role() != Role::kLeader) {
    counters_.redirects->add();
    return reply_kv(from, kv_refusal(id, wire::KV_NOT_LEADER, "not the leader"));
  }
  if (!room_for_request()) return reply_kv(from, kv_refusal(id, wire::KV_UNAVAILABLE, "busy"));
  if (req.command().op() == wire::KV_GET) return start_read(from, id, req.command().key());
  absl::StatusOr<uint64_t> index = raft_->propose(req.command().SerializeAsString());
  if (!index.ok()) {
    return reply_kv(from,
                    kv_refusal(id, wire::KV_UNAVAILABLE, std::string(index.status().message())));
  }
  counters_.proposals->add();
  if (auto old = writes_.find(*index); old != writes_.end()) {  // a stale guess; never answered
    reply_kv(old->second.from, kv_refusal(old->second.request_id, wire::KV_UNAVAILABLE, "retry"));
    writes_.erase(old);
  }
  writes_[*index] = PendingWrite{.from = from, .request_id = id, .command = req.command()};
  pump();
}

void RaftService::start_read(cairn::NodeId from, uint64_t request_id, const std::string& key) {
  const uint64_t read_id = ++next_read_id_;
  if (absl::Status st = raft_->read_index(read_id); !st.ok()) {
    return reply_kv(from, kv_refusal(request_id, wire::KV_UNAVAILABLE, std::string(st.message())));
  }
  counters_.reads->add();
  reads_[read_id] = PendingRead{from, request_id, key, 0};
  pump();
}

void RaftService::serve_reads() {
  std::vector<ReadState> waiting;
  for (const ReadState& rs : read_states_) {
    if (rs.index > kv_.applied_index()) {
      waiting.push_back(rs);
      continue;
    }
    auto it = reads_.find(rs.request_id);
    if (it == reads_.end()) continue;  // failed meanwhile
    wire::KvResponse r;
    r.set_request_id(it->second.request_id);
    r.set_status(wire::KV_OK);
    r.set_leader_hint(raft_->leader());
    const std::optional<std::string> value = kv_.get(it->second.key);
    r.mutable_result()->set_ok(value.has_value());
    r.mutable_result()->set_found(value.has_value());
    if (value) r.mutable_result()->set_value(*value);
    reply_kv(it->second.from, std::move(r));
    reads_.erase(it);
  }
  read_states_ = std::move(waiting);
}

void RaftService::answer_write(uint64_t index, const wire::Entry& e,
                               const std::optional<wire::KvResult>& result) {
  // Anything pending below `index` was overwritten by another leader's entries.
  while (!writes_.empty() && writes_.begin()->first < index) {
    const PendingWrite& w = writes_.begin()->second;
    reply_kv(w.from, kv_refusal(w.request_id, wire::KV_UNAVAILABLE, "entry replaced"));
    writes_.erase(writes_.begin());
  }
  if (auto it = writes_.find(index); it != writes_.end()) {
    const PendingWrite& w = it->second;
    wire::KvCommand applied;
    const bool same =
        e.type() == wire::ENTRY_NORMAL && result.has_value() && applied.ParseFromString(e.data()) &&
        applied.client_id() == w.command.client_id() &&
        applied.sequence() == w.command.sequence() && applied.key() == w.command.key();
    wire::KvResponse r = kv_refusal(w.request_id, wire::KV_UNAVAILABLE, "entry replaced");
    if (same) {
      r.set_status(wire::KV_OK);
      r.clear_error();
      *r.mutable_result() = *result;
    }
    reply_kv(w.from, std::move(r));
    writes_.erase(it);
  }
  if (auto it = admin_.find(index); it != admin_.end()) {
    wire::AdminResponse r = admin_status(it->second.request_id);
    wire::ConfChange applied;
    const bool same = e.type() == wire::ENTRY_CONF_CHANGE && applied.ParseFromString(e.data()) &&
                      applied.type() == it->second.change.type() &&
                      applied.node() == it->second.change.node();
    r.set_status(same ? wire::KV_OK : wire::KV_UNAVAILABLE);
    if (!same) r.set_error("entry replaced");
    r.set_index(index);
    reply_admin(it->second.from, std::move(r));
    admin_.erase(it);
  }
}

void RaftService::fail_pending(const std::string& why) {
  for (auto& [index, w] : writes_) {
    reply_kv(w.from, kv_refusal(w.request_id, wire::KV_UNAVAILABLE, why));
  }
  for (auto& [id, rd] : reads_) {
    reply_kv(rd.from, kv_refusal(rd.request_id, wire::KV_UNAVAILABLE, why));
  }
  for (auto& [index, a] : admin_) {
    wire::AdminResponse r = admin_status(a.request_id);
    r.set_status(wire::KV_UNAVAILABLE);
    r.set_error(why);
    reply_admin(a.from, std::move(r));
  }
  writes_.clear();
  reads_.clear();
  admin_.clear();
  read_states_.clear();
}

wire::AdminResponse RaftService::admin_status(uint64_t request_id) const {
  wire::AdminResponse r;
  r.set_request_id(request_id);
  if (raft_ == nullptr) return r;
  r.set_term(raft_->term());
  r.set_leader(raft_->leader());
  r.set_leader_hint(raft_->leader());
  for (NodeId v : raft_->voters()) r.add_voters(v);
  for (NodeId l : raft_->learners()) r.add_learners(l);
  r.set_commit(raft_->log().commit());
  r.set_applied(kv_.applied_index());
  return r;
}

namespace {

// The configuration change an admin operation asks for; nullopt if there is nothing to
// do (already so) — set *why when the request cannot be served at all.
std::optional<wire::ConfChange> change_for(const wire::AdminRequest& req, const Raft& raft,
                                           std::string* why) {
  const NodeId node = req.node();
  const bool voter = raft.voters().count(node) != 0;
  const bool learner = raft.learners().count(node) != 0;
  wire::ConfChange c;
  c.set_node(node);
  switch (req.op()) {
    case wire::ADMIN_ADD_LEARNER:
      if (voter || learner) return std::nullopt;
      c.set_type(wire::CONF_ADD_LEARNER);
      return c;
    case wire::ADMIN_PROMOTE:
      if (voter) return std::nullopt;
      if (!learner) *why = absl::StrCat("n", node, " is not a learner");
      c.set_type(wire::CONF_ADD_VOTER);
      return c;
    case wire::ADMIN_REMOVE:
      if (!voter && !learner) return std::nullopt;
      c.set_type(wire::CONF_REMOVE_NODE);
      return c;
    default:
      *why = "not a configuration change";
      return std::nullopt;
  }
}

}  // namespace

void RaftService::on_admin_request(cairn::NodeId from, const Message& m) {
  wire::AdminRequest req;
  wire::AdminResponse r = admin_status(0);
  if (!req.ParseFromString(m.header) || (req.op() != wire::ADMIN_STATUS && req.node() == 0)) {
    r.set_status(wire::KV_INVALID);
    r.set_error("unreadable request");
    return reply_admin(from, std::move(r));
  }
  r.set_request_id(req.request_id());
  if (req.op() == wire::ADMIN_STATUS) return reply_admin(from, std::move(r));
  if (!running() || raft_->role() != Role::kLeader) {
    r.set_status(running() ? wire::KV_NOT_LEADER : wire::KV_UNAVAILABLE);
    r.set_error("not the leader");
    return reply_admin(from, std::move(r));
  }
  if (req.op() == wire::ADMIN_TRANSFER_LEADER) {
    const absl::Status st = raft_->transfer_leadership(req.node());
    r.set_status(st.ok()                       ? wire::KV_OK
                 : absl::IsInvalidArgument(st) ? wire::KV_INVALID
                                               : wire::KV_UNAVAILABLE);
    r.set_error(std::string(st.message()));
    reply_admin(from, std::move(r));
    return after_change();
  }
  std::string why;
  const std::optional<wire::ConfChange> change = change_for(req, *raft_, &why);
  if (!why.empty()) {
    r.set_status(wire::KV_INVALID);
    r.set_error(why);
    return reply_admin(from, std::move(r));
  }
  if (!change) return reply_admin(from, std::move(r));  // already so: OK
  if (req.op() == wire::ADMIN_PROMOTE && !raft_->caught_up(req.node(), config_.promote_max_lag)) {
    r.set_status(wire::KV_UNAVAILABLE);
    r.set_error("learner still catching up");
    return reply_admin(from, std::move(r));
  }
  absl::StatusOr<uint64_t> index = room_for_request()
                                       ? raft_->propose_conf_change(*change)
                                       : absl::StatusOr<uint64_t>(absl::UnavailableError("busy"));
  if (!index.ok()) {
    r.set_status(absl::IsInvalidArgument(index.status()) ? wire::KV_INVALID : wire::KV_UNAVAILABLE);
    r.set_error(std::string(index.status().message()));
    return reply_admin(from, std::move(r));
  }
  admin_[*index] =
      PendingWrite{.from = from, .request_id = req.request_id(), .admin = true, .change = *change};
  pump();
}

}  // namespace cairn::raft
