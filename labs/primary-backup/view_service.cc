#include "labs/primary-backup/view_service.h"

#include "core/base/assert.h"
#include "labs/primary-backup/pb_base.h"

namespace cairn::labs::pb {

void ViewServiceOptions::visit(SettingsVisitor& v) {
  v.duration("check_interval", check_interval);
  v.duration("expected_ping_interval", expected_ping_interval);
  v.number("phi_threshold", phi_threshold, 0.5, 30);
  v.duration("min_std_dev", min_std_dev);
}

absl::Status ViewServiceOptions::validate() const {
  if (check_interval <= Duration(0) || expected_ping_interval <= Duration(0)) {
    return absl::InvalidArgumentError("check_interval and expected_ping_interval must be positive");
  }
  if (min_std_dev <= Duration(0)) return absl::InvalidArgumentError("min_std_dev must be positive");
  return absl::OkStatus();
}

ViewService::ViewService(Runtime& rt, ViewServiceOptions options) : rt_(rt), options_(options) {
  CAIRN_ASSERT(options_.validate().ok());
}

ViewService::~ViewService() { rt_.cancel(timer_); }

std::vector<MessageType> ViewService::message_types() const { return {kPbPing}; }

void ViewService::start() {
  timer_ = rt_.after(options_.check_interval, [this] { check(); });
}

void ViewService::on_message(NodeId from, const Message& m) {
  wire::Ping p;
  if (m.type != kPbPing || !p.ParseFromString(m.header)) return;
  auto it = servers_.find(from);
  if (it == servers_.end()) {
    membership::DetectorOptions d{.phi_threshold = options_.phi_threshold,
                                  .min_std_dev = options_.min_std_dev,
                                  .first_interval = options_.expected_ping_interval};
    it = servers_.emplace(from, Server{membership::PhiAccrual(d)}).first;
  }
  it->second.detector.heartbeat(rt_.now());
  const bool serving = from == view_.primary() || from == view_.backup();
  if (serving && p.acked() == 0 && it->second.last_acked > 0) it->second.restarted = true;
  it->second.last_acked = p.acked();
  if (from == view_.primary() && p.acked() == view_.num()) acked_ = true;
  rt_.send(from, Message{.type = kPbView, .header = view_.SerializeAsString()});
}

bool ViewService::live(NodeId id) const {
  auto it = servers_.find(id);
  if (it == servers_.end() || it->second.restarted) return false;
  return it->second.detector.phi(rt_.now()) < options_.phi_threshold;
}

NodeId ViewService::idle_server() const {
  for (const auto& [id, s] : servers_) {
    if (id != view_.primary() && id != view_.backup() && live(id)) return id;
  }
  return kNoNode;
}

void ViewService::check() {
  timer_ = rt_.after(options_.check_interval, [this] { check(); });
  const NodeId p = view_.primary(), b = view_.backup();
  if (view_.num() == 0) {
    for (const auto& [id, s] : servers_) {
      if (live(id)) return change(id, kNoNode);
    }
    return;
  }
  if (!acked_) return;
  if (!live(p)) {
    if (b != kNoNode && live(b)) return change(b, idle_server());
    if (!stuck_reported_) {
      rt_.log().event(Event{"pb_stuck", {{"view", static_cast<int64_t>(view_.num())}}});
      stuck_reported_ = true;
    }
    return;
  }
  if (b != kNoNode && !live(b)) return change(p, idle_server());
  if (b == kNoNode) {
    const NodeId idle = idle_server();
    if (idle != kNoNode) change(p, idle);
  }
}

void ViewService::change(NodeId primary, NodeId backup) {
  CAIRN_ASSERT(primary != kNoNode && primary != backup);
  view_.set_num(view_.num() + 1);
  view_.set_primary(primary);
  view_.set_backup(backup);
  acked_ = false;
  stuck_reported_ = false;
  for (auto& [id, s] : servers_) s.restarted = false;
  rt_.log().event(Event{"pb_view",
                        {{"view", static_cast<int64_t>(view_.num())},
                         {"primary", static_cast<int64_t>(primary)},
                         {"backup", static_cast<int64_t>(backup)}}});
}

void ViewService::check_invariants() const {
  CAIRN_ASSERT(view_.num() == 0 || view_.primary() != kNoNode);
  CAIRN_ASSERT(view_.backup() == kNoNode || view_.backup() != view_.primary());
}

}  // namespace cairn::labs::pb
