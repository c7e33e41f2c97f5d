// The primary-backup lab's view service (given code, labs/primary-backup/README.md): one
// node that decides which server is primary and which is backup, as in MIT 6.824's
// viewservice. Servers ping it every ping interval; a phi-accrual detector per server
// (core/membership/phi_accrual.h) says when one is suspected.
//
// Rules, applied every check interval:
//   - view 1 makes the lowest-numbered live server primary (no backup yet);
//   - nothing changes until the primary has acknowledged the current view (pinged with its
//     number), so a primary never loses its post before it could hand over its state;
//   - a suspected (or restarted) primary is replaced by the backup; with no live backup the
//     service is stuck (no server has the data) and says so in the trace;
//   - a suspected (or restarted) backup is replaced by a live idle server, or by nobody;
//   - a primary without backup gets the lowest-numbered live idle server.
// Every new view is an event `pb_view` in the trace.
#pragma once

#include <map>
#include <vector>

#include "core/base/settings.h"
#include "core/membership/phi_accrual.h"
#include "core/runtime/service.h"
#include "labs/primary-backup/pb.pb.h"

namespace cairn::labs::pb {

// Options of the `pb_view` role (settings section `pb_view`).
struct ViewServiceOptions final : RoleOptionsBase<ViewServiceOptions> {
  Duration check_interval = std::chrono::milliseconds(100);
  Duration expected_ping_interval = std::chrono::milliseconds(100);
  double phi_threshold = 8;
  Duration min_std_dev = std::chrono::milliseconds(50);

  void visit(SettingsVisitor& v) override;
  absl::Status validate() const override;
};

class ViewService final : public Service {
 public:
  // REQUIRES: options validated.
  ViewService(Runtime& rt, ViewServiceOptions options);
  ~ViewService() override;

  std::vector<MessageType> message_types() const override;
  void start() override;
  void on_message(NodeId from, const Message& message) override;
  void check_invariants() const override;

 private:
  struct Server {
    membership::PhiAccrual detector;
    uint64_t last_acked = 0;
    bool restarted = false;  // pinged with 0, after a view, while serving in the current one
  };

  void check();
  bool live(NodeId id) const;
  NodeId idle_server() const;
  void change(NodeId primary, NodeId backup);

  Runtime& rt_;
  const ViewServiceOptions options_;
  std::map<NodeId, Server> servers_;
  wire::View view_;
  bool acked_ = false;  // the primary acknowledged view_
  bool stuck_reported_ = false;
  TimerId timer_ = kNoTimer;
};

}  // namespace cairn::labs::pb
