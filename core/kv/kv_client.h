// KvClient: a client of the key-value protocol (core/kv/kv_service.h) as a Service on any
// Runtime. cairn-sim runs one per simulated client to drive a workload; it can also
// carry out a schedule of membership operations (add learner, promote, remove, transfer).
//
// Behaviour: a closed loop, one operation in flight (so a client's history is sequential).
// Each operation runs on a KvSession (core/kv/kv_session.h): redirects followed at once,
// a fixed back-off on "no leader" or "unavailable", the next server after `timeout`. At
// most max_attempts attempts per operation: after that the client gives up and the
// operation stays unanswered in the history (it may or may not have taken effect). Every
// invocation and answer goes to a KvHistorySink, for the linearizability checker.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/base/settings.h"
#include "core/kv/kv.pb.h"
#include "core/kv/kv_client.pb.h"
#include "core/kv/kv_session.h"
#include "core/raft/admin.pb.h"
#include "core/runtime/service.h"

namespace cairn::kv {

struct KvWorkload {
  double rate_per_s = 10;  // operations per second per client; 0: no workload
  uint32_t keys = 10;
  double put = 0.5, get = 0.3, cas = 0.2, del = 0;  // the mix; sums to 1
  Duration start = std::chrono::seconds(1);
  Duration until = Duration(0);  // no operation starts after this; 0: until the end
  Duration timeout = std::chrono::milliseconds(500);  // per attempt
  Duration backoff = std::chrono::milliseconds(50);
  uint32_t max_attempts = 30;  // per operation (at most 255)
  // Gets go to the client's own replica (servers[id mod n]) as local reads, answered from
  // that replica's state, possibly stale (the CAP lesson); off: linearizable gets.
  bool stale_reads = false;
};

struct AdminAction {
  Duration at{0};
  raft::wire::AdminOp op = raft::wire::ADMIN_STATUS;
  cairn::NodeId node = kNoNode;
  int line = 0;  // where the scenario asked for it
};

// Options of the `kv_client` role (settings section `workload`): simulated clients of the
// key-value store. `clients` says how many the runner creates; `admin` is a schedule of
// membership operations a runner may hand one client (not read from settings).
struct KvClientOptions final : RoleOptionsBase<KvClientOptions> {
  int64_t clients = 0;
  KvWorkload workload;
  std::vector<AdminAction> admin;

  void visit(SettingsVisitor& v) override;
  absl::Status validate() const override;
};

// Where a client reports what it did. Times are the sink's business (it knows the clock).
class KvHistorySink {
 public:
  virtual ~KvHistorySink() = default;
  // The client starts `command` (its client_id is the client's node id). Returns a handle
  // for complete().
  virtual uint64_t invoke(const wire::KvCommand& command) = 0;
  virtual void complete(uint64_t handle, bool ok, const std::string& output) = 0;
  virtual void admin_done(const AdminAction& action, bool ok, uint32_t attempts) = 0;
};

// The nodes clients send requests to, lent by a runner whose servers are not the `meta`
// nodes (another role serving the key-value protocol, such as a lab's). Absent: `meta`.
struct KvServers {
  std::vector<cairn::NodeId> nodes;
};

class KvClient final : public Service {
 public:
  static constexpr uint32_t kMaxAdminAttempts = 200;

  // REQUIRES: servers non-empty; sink outlives the client; max_attempts in [1, 255].
  KvClient(Runtime& rt, std::vector<cairn::NodeId> servers, KvWorkload workload,
           std::vector<AdminAction> admin, KvHistorySink* sink);
  ~KvClient() override;

  // The message types it serves (message_types() of every instance).
  static std::vector<MessageType> types();

  std::vector<MessageType> message_types() const override;
  void start() override;
  void on_message(cairn::NodeId from, const Message& message) override;

  uint64_t completed() const { return completed_; }
  uint64_t abandoned() const { return abandoned_; }

 private:
  struct Op {
    uint64_t handle = 0;
    wire::KvCommand command;
  };
  struct Admin {
    bool active = false;
    size_t next = 0;  // index into admin_
    uint32_t attempt = 0;
    uint64_t request_id = 0;
  };

  void issue();
  void finish_op(const absl::StatusOr<wire::KvResult>& result);
  void schedule_next_op();
  void start_admin();
  void send_admin();
  void on_admin_response(const raft::wire::AdminResponse& r);
  void finish_admin(bool ok);
  cairn::NodeId next_server(cairn::NodeId after) const;
  void retry_later(TimerId& timer, std::function<void()> fn);

  Runtime& rt_;
  std::vector<cairn::NodeId> servers_;
  KvWorkload workload_;
  std::vector<AdminAction> admin_;
  KvHistorySink* sink_;
  KvSession session_;
  Op op_;
  Admin adm_;
  cairn::NodeId admin_target_ = kNoNode;
  cairn::NodeId writes_guess_ = kNoNode;  // stale reads: the leader guess to restore
  TimerId op_timer_ = kNoTimer;
  TimerId admin_timer_ = kNoTimer;
  std::map<std::string, std::string> seen_;  // key -> a value this client saw or wrote
  uint64_t completed_ = 0;
  uint64_t abandoned_ = 0;
};

}  // namespace cairn::kv
