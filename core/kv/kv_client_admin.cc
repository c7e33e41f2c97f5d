// KvClient's schedule of membership operations: one at a time, in time order, each
// retried (following redirects, backing off while the group is busy) until it succeeds,
// is refused as invalid, or runs out of attempts.
#include "absl/strings/str_cat.h"
#include "core/kv/kv_client.h"
#include "core/wire/message_types.h"

namespace cairn::kv {

void KvClient::start_admin() {
  if (adm_.active || adm_.next >= admin_.size()) return;
  const Duration wait = admin_[adm_.next].at - rt_.now().time_since_epoch();
  adm_.active = true;
  adm_.attempt = 0;
  admin_target_ = session_.leader_guess();
  rt_.cancel(admin_timer_);
  admin_timer_ = rt_.after(wait, [this] { send_admin(); });
}

void KvClient::send_admin() {
  if (adm_.attempt >= kMaxAdminAttempts) return finish_admin(false);
  ++adm_.attempt;
  const AdminAction& a = admin_[adm_.next];
  raft::wire::AdminRequest req;
  adm_.request_id = (uint64_t{adm_.next} << 16) | adm_.attempt;
  req.set_request_id(adm_.request_id);
  req.set_op(a.op);
  req.set_node(a.node);
  rt_.send(admin_target_,
           Message{.type = cairn::wire::kAdminRequest, .header = req.SerializeAsString()});
  rt_.cancel(admin_timer_);
  admin_timer_ = rt_.after(workload_.timeout, [this] {
    admin_target_ = next_server(admin_target_);
    send_admin();
  });
}

void KvClient::on_admin_response(const raft::wire::AdminResponse& r) {
  if (!adm_.active || r.request_id() != adm_.request_id) return;
  if (r.status() == raft::wire::ADMIN_OK) {
    session_.set_leader_guess(admin_target_);
    return finish_admin(true);
  }
  if (r.status() == raft::wire::ADMIN_INVALID) return finish_admin(false);
  const auto hint = static_cast<cairn::NodeId>(r.leader_hint());
  if (r.status() == raft::wire::ADMIN_NOT_LEADER && hint != kNoNode && hint != admin_target_) {
    admin_target_ = hint;
    return send_admin();
  }
  if (r.status() == raft::wire::ADMIN_NOT_LEADER) admin_target_ = next_server(admin_target_);
  // Busy (an earlier change pending, a learner catching up): try again a little later.
  rt_.cancel(admin_timer_);
  admin_timer_ = rt_.after(2 * workload_.backoff, [this] { send_admin(); });
}

void KvClient::finish_admin(bool ok) {
  rt_.cancel(admin_timer_);
  const AdminAction& a = admin_[adm_.next];
  rt_.log().event(Event{"raft_admin",
                        {{"op", raft::wire::AdminOp_Name(a.op)},
                         {"target", absl::StrCat("n", a.node)},
                         {"ok", ok},
                         {"attempts", static_cast<int64_t>(adm_.attempt)}}});
  sink_->admin_done(a, ok, adm_.attempt);
  adm_.active = false;
  ++adm_.next;
  start_admin();
}

}  // namespace cairn::kv
