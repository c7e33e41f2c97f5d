// The Raft side of a simulated run (runtime-sim): names the simulated clients, lends the
// `meta` and `kv_client` roles (or another role serving the key-value protocol) their hooks,
// collects what the checkers need (every node's Raft events through a RaftSafetyRecorder, every
// client operation with its invoke and answer times), and judges the checks raft_safety,
// linearizable and progress. Holds no protocol logic.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/check/linearizability.h"
#include "core/check/raft_recorder.h"
#include "core/kv/kv_client.h"
#include "core/raft/raft_service.h"
#include "runtime-sim/raft_events.h"
#include "runtime-sim/scenario.h"
#include "runtime-sim/world.h"

namespace cairn::sim {

class RaftRun final : public kv::KvHistorySink {
 public:
  // `record` puts an event of a node into the run's trace (term changes, truncations).
  RaftRun(const Scenario& scenario, RaftEventRecorder::Record record);

  // Extra endpoints a run needs beyond the scenario's nodes: clients c1..cK, then "admin"
  // if the scenario has membership actions. Their ids follow the nodes' ids.
  std::vector<NodeSpec> client_specs() const;

  // Lends the roles what they report to: the Raft safety recorder and the client history.
  void add_hooks(Hooks& hooks);
  // The role options an endpoint runs with: the scenario's, except for the admin client,
  // which carries out the scenario's membership actions and nothing else.
  RoleSettings settings_for(const NodeSpec& spec) const;

  // KvHistorySink.
  uint64_t invoke(const kv::wire::KvCommand& command) override;
  void complete(uint64_t handle, bool ok, const std::string& output) override;
  void admin_done(const kv::AdminAction& action, bool ok, uint32_t attempts) override;

  // REQUIRES: `name` is raft_safety, linearizable or progress.
  CheckResult judge(const std::string& name, const CheckSpec& spec) const;
  void add_metrics(std::map<std::string, double>& metrics) const;

  // After every step of a node running Raft (term changes become events).
  void after_step(NodeId node, const raft::Raft& raft) { events_.after_step(node, raft); }
  // history.jsonl (raft_events.h): every client operation with its times and outcome.
  std::string history() const;
  // Writes acknowledged in [from, to).
  int64_t writes_answered(Duration from, Duration to) const;
  // For people: writes acknowledged per second between consecutive fault times (a fault's
  // start and, with `for`, its end), so that what a fault costs shows in the summary.
  std::string commit_rate_report() const;

 private:
  CheckResult judge_progress(const CheckSpec& spec) const;
  // linearizable: the verdict, and a violation's shortest counterexample, one operation a
  // line with its simulated invoke and answer times and its client.
  CheckResult judge_linearizable(const CheckSpec& spec) const;
  std::string client_name(uint64_t id) const;  // "c3", "admin"
  std::string describe_op(size_t i) const;     // history_[i], for people

  const Scenario& scenario_;
  const NodeId admin_id_;  // the admin client's id, if the scenario has membership actions
  kv::KvServers servers_;  // where key-value clients send their requests
  check::RaftSafetyRecorder recorder_;
  RaftEventRecorder events_;  // wraps recorder_
  std::vector<check::KvOperation> history_;
  std::vector<Time> invoked_at_;
  std::vector<Time> answered_at_;
  uint64_t clock_ = 0;  // logical times for the checker: unique, in real-time order
  int admin_ok_ = 0;
  int admin_failed_ = 0;
  std::string admin_failures_;
};

}  // namespace cairn::sim
