// RaftService's requests: proposals answered when their entry applies, ReadIndex reads,
// and the admin protocol (core/raft/admin.proto): status and membership changes.
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/raft/raft_service.h"
#include "core/wire/message_types.h"

namespace cairn::raft {

bool RaftService::room_for_request() const {
  return pending_requests() < config_.max_pending_requests;
}

cairn::NodeId RaftService::leader_hint() const {
  return raft_ == nullptr ? kNoNode : static_cast<cairn::NodeId>(raft_->leader());
}

absl::Status RaftService::refusal() const {
  if (!running()) return absl::UnavailableError("starting");
  if (raft_->role() != Role::kLeader) {
    counters_.redirects->add();
    return absl::FailedPreconditionError("not the leader");
  }
  if (!room_for_request()) return absl::UnavailableError("busy");
  return absl::OkStatus();
}

void RaftService::propose(std::string command, ResultDone done) {
  CAIRN_ASSERT(done != nullptr);
  if (absl::Status st = refusal(); !st.ok()) {
    counters_.refused->add();
    return done(st);
  }
  absl::StatusOr<uint64_t> index = raft_->propose(command);
  if (!index.ok()) {
    counters_.refused->add();
    // A proposal too large for the log is the caller's mistake; anything else is transient.
    return done(absl::IsInvalidArgument(index.status())
                    ? index.status()
                    : absl::UnavailableError(index.status().message()));
  }
  counters_.proposals->add();
  if (auto old = writes_.find(*index); old != writes_.end()) {  // a stale guess; never answered
    ResultDone stale = std::move(old->second.done);
    writes_.erase(old);
    counters_.refused->add();
    stale(absl::UnavailableError("retry"));
  }
  writes_[*index] = PendingWrite{std::move(command), std::move(done)};
  pump();
}

void RaftService::read(std::string query, ResultDone done) {
  CAIRN_ASSERT(done != nullptr);
  if (absl::Status st = refusal(); !st.ok()) {
    counters_.refused->add();
    return done(st);
  }
  const uint64_t read_id = ++next_read_id_;
  if (absl::Status st = raft_->read_index(read_id); !st.ok()) {
    counters_.refused->add();
    return done(absl::UnavailableError(st.message()));
  }
  counters_.reads->add();
  reads_[read_id] = PendingRead{std::move(query), std::move(done)};
  pump();
}

void RaftService::serve_reads() {
  std::vector<ReadState> waiting;
  for (const ReadState& rs : read_states_) {
    if (rs.index > machine_->applied_index()) {
      waiting.push_back(rs);
      continue;
    }
    auto it = reads_.find(rs.request_id);
    if (it == reads_.end()) continue;  // failed meanwhile
    PendingRead r = std::move(it->second);
    reads_.erase(it);
    r.done(machine_->query(r.query));
  }
  read_states_ = std::move(waiting);
}

void RaftService::answer_write(uint64_t index, const wire::Entry& e,
                               const absl::StatusOr<std::string>& result) {
  // Anything pending below `index` was overwritten by another leader's entries.
  while (!writes_.empty() && writes_.begin()->first < index) {
    ResultDone done = std::move(writes_.begin()->second.done);
    writes_.erase(writes_.begin());
    counters_.refused->add();
    done(absl::UnavailableError("entry replaced"));
  }
  if (auto it = writes_.find(index); it != writes_.end()) {
    PendingWrite w = std::move(it->second);
    writes_.erase(it);
    const bool same = e.type() == wire::ENTRY_NORMAL && e.data() == w.command;
    if (!same) counters_.refused->add();
    w.done(same ? result : absl::UnavailableError("entry replaced"));
  }
  if (auto it = admin_.find(index); it != admin_.end()) {
    wire::AdminResponse r = admin_status(it->second.request_id);
    wire::ConfChange applied;
    const bool same = e.type() == wire::ENTRY_CONF_CHANGE && applied.ParseFromString(e.data()) &&
                      applied.type() == it->second.change.type() &&
                      applied.node() == it->second.change.node();
    r.set_status(same ? wire::ADMIN_OK : wire::ADMIN_UNAVAILABLE);
    if (!same) r.set_error("entry replaced");
    r.set_index(index);
    reply_admin(it->second.from, std::move(r));
    admin_.erase(it);
  }
}

void RaftService::fail_pending(const std::string& why) {
  // Callbacks may propose again: detach everything first.
  std::map<uint64_t, PendingWrite> writes = std::move(writes_);
  std::map<uint64_t, PendingRead> reads = std::move(reads_);
  std::map<uint64_t, PendingAdmin> admin = std::move(admin_);
  writes_.clear();
  reads_.clear();
  admin_.clear();
  read_states_.clear();
  for (auto& [index, w] : writes) {
    counters_.refused->add();
    w.done(absl::UnavailableError(why));
  }
  for (auto& [id, rd] : reads) {
    counters_.refused->add();
    rd.done(absl::UnavailableError(why));
  }
  for (auto& [index, a] : admin) {
    wire::AdminResponse r = admin_status(a.request_id);
    r.set_status(wire::ADMIN_UNAVAILABLE);
    r.set_error(why);
    reply_admin(a.from, std::move(r));
  }
}

void RaftService::reply_admin(cairn::NodeId to, wire::AdminResponse r) {
  rt_.send(to, Message{.type = cairn::wire::kAdminResponse, .header = r.SerializeAsString()});
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
  r.set_applied(machine_->applied_index());
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
    r.set_status(wire::ADMIN_INVALID);
    r.set_error("unreadable request");
    return reply_admin(from, std::move(r));
  }
  r.set_request_id(req.request_id());
  if (req.op() == wire::ADMIN_STATUS) return reply_admin(from, std::move(r));
  if (!running() || raft_->role() != Role::kLeader) {
    r.set_status(running() ? wire::ADMIN_NOT_LEADER : wire::ADMIN_UNAVAILABLE);
    r.set_error("not the leader");
    return reply_admin(from, std::move(r));
  }
  if (req.op() == wire::ADMIN_TRANSFER_LEADER) {
    const absl::Status st = raft_->transfer_leadership(req.node());
    r.set_status(st.ok()                       ? wire::ADMIN_OK
                 : absl::IsInvalidArgument(st) ? wire::ADMIN_INVALID
                                               : wire::ADMIN_UNAVAILABLE);
    r.set_error(std::string(st.message()));
    reply_admin(from, std::move(r));
    return after_change();
  }
  std::string why;
  const std::optional<wire::ConfChange> change = change_for(req, *raft_, &why);
  if (!why.empty()) {
    r.set_status(wire::ADMIN_INVALID);
    r.set_error(why);
    return reply_admin(from, std::move(r));
  }
  if (!change) return reply_admin(from, std::move(r));  // already so: OK
  if (req.op() == wire::ADMIN_PROMOTE && !raft_->caught_up(req.node(), config_.promote_max_lag)) {
    r.set_status(wire::ADMIN_UNAVAILABLE);
    r.set_error("learner still catching up");
    return reply_admin(from, std::move(r));
  }
  absl::StatusOr<uint64_t> index = room_for_request()
                                       ? raft_->propose_conf_change(*change)
                                       : absl::StatusOr<uint64_t>(absl::UnavailableError("busy"));
  if (!index.ok()) {
    r.set_status(absl::IsInvalidArgument(index.status()) ? wire::ADMIN_INVALID
                                                         : wire::ADMIN_UNAVAILABLE);
    r.set_error(std::string(index.status().message()));
    return reply_admin(from, std::move(r));
  }
  admin_[*index] = PendingAdmin{.from = from, .request_id = req.request_id(), .change = *change};
  pump();
}

}  // namespace cairn::raft
