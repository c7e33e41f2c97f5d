// The Raft side of a simulated run (runtime-sim): builds the services of `meta` nodes
// and of the simulated clients, collects what the checkers need (every node's Raft events
// through a RaftSafetyRecorder, every client operation with its invoke and answer times), and
// judges the checks raft_safety, linearizable and progress. Holds no protocol logic.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/check/linearizability.h"
#include "core/check/raft_recorder.h"
#include "core/raft/kv_client.h"
#include "core/raft/raft_service.h"
#include "runtime-sim/scenario.h"
#include "runtime-sim/world.h"

namespace cairn::sim {

class RaftRun final : public raft::KvHistorySink {
 public:
  explicit RaftRun(const Scenario& scenario);

  // Extra endpoints a run needs beyond the scenario's nodes: clients c1..cK, then "admin"
  // if the scenario has membership actions. Their ids follow the nodes' ids.
  std::vector<NodeSpec> client_specs() const;

  std::unique_ptr<Service> make_service(Runtime& rt, const NodeSpec& spec);

  // KvHistorySink.
  uint64_t invoke(const raft::wire::KvCommand& command) override;
  void complete(uint64_t handle, bool ok, const std::string& output) override;
  void admin_done(const raft::AdminAction& action, bool ok, uint32_t attempts) override;

  // REQUIRES: `name` is raft_safety, linearizable or progress.
  CheckResult judge(const std::string& name, const CheckSpec& spec) const;
  void add_metrics(std::map<std::string, double>& metrics) const;

 private:
  raft::RaftServiceConfig service_config() const;
  raft::KvWorkload workload() const;
  CheckResult judge_progress(const CheckSpec& spec) const;

  const Scenario& scenario_;
  check::RaftSafetyRecorder recorder_;
  std::vector<check::KvOperation> history_;
  std::vector<Time> invoked_at_;
  std::vector<Time> answered_at_;
  uint64_t clock_ = 0;  // logical times for the checker: unique, in real-time order
  int admin_ok_ = 0;
  int admin_failed_ = 0;
  std::string admin_failures_;
};

}  // namespace cairn::sim
