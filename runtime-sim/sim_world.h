// The inside of run_scenario(): the state shared by every simulated node and the fault
// injector. Not part of the public interface (see world.h).
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <simgrid/s4u.hpp>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/check/detection.h"
#include "runtime-sim/connection_model.h"
#include "runtime-sim/drain_action.h"
#include "runtime-sim/expect_check.h"
#include "runtime-sim/file_run.h"
#include "runtime-sim/membership_run.h"
#include "runtime-sim/network_faults.h"
#include "runtime-sim/placement_run.h"
#include "runtime-sim/raft_run.h"
#include "runtime-sim/redundancy_check.h"
#include "runtime-sim/sim_node.h"
#include "runtime-sim/storage_run.h"
#include "runtime-sim/trace.h"
#include "runtime-sim/world.h"

namespace cairn::sim {

struct NetworkStats {
  uint64_t sent = 0;
  uint64_t delivered = 0;
  uint64_t lost = 0;     // dropped by a loss probability
  uint64_t blocked = 0;  // dropped by a partition
  uint64_t duplicated = 0;
  uint64_t stale = 0;        // arrived at a node that crashed after it was sent
  uint64_t unreachable = 0;  // lost by the transport model (no connection to the receiver)
  uint64_t bytes = 0;
};

class World {
 public:
  World(const Scenario& scenario, const RunOptions& options);
  ~World();

  RunResult run();

  // For SimNode. Carries a message to its receiver: below the scenario's flow threshold
  // by a kernel timer at send time + latency + size / bandwidth + hold, above it as a
  // SimGrid flow between the two hosts (sharing bandwidth) and then the hold. Takes
  // ownership.
  void transmit(Envelope* e);
  const NetworkFaults& network() const { return network_; }
  // The transport model (`transport: {model: tcp}`), or nullptr for an ideal network.
  ConnectionModel* connections() { return connections_.get(); }
  NetworkStats& stats() { return stats_; }
  void record(Time at, NodeId node, const Event& event);
  // After every step a node's loop ran (a timer, a message, a completion).
  void after_step(NodeId id);
  void track(Envelope* e) { in_flight_.insert(e); }
  void untrack(Envelope* e) { in_flight_.erase(e); }
  bool verbose() const { return options_.verbose; }
  const RunOptions& options() const { return options_; }
  const Scenario& scenario() const { return scenario_; }
  static Time now();
  // Scenario nodes plus simulated clients (ids 1..endpoints()).
  size_t endpoints() const { return nodes_.size(); }
  // Adds the services of every role of `spec` to `node`, in the registry's order.
  absl::Status install_roles(Node& node, Runtime& rt, const NodeSpec& spec);

 private:
  using Action = std::function<void()>;

  void build_platform();
  // Hands `e` to its receiver at simulated time `at` (a kernel timer).
  void arrive_at(Time at, Envelope* e);
  // Cancels every message still in flight (end of run): their timers and flows.
  void drop_in_flight();
  void add_endpoint(simgrid::s4u::NetZone* zone, const NodeSpec& spec, double half_latency);
  void schedule(Time at, Action action);
  void controller();
  // Applies scenario_.faults[index], noting in fault_outcomes_ whom a `leader` fault hit.
  void apply(size_t index);
  // A `disk:` fault on one node: its fault model, speed and capacity; bit rot now.
  void apply_disk_fault(NodeId id, const Fault& fault);
  // `drain:` asks the meta leader to mark `node` draining, then checks each second, up to
  // kDrainAttempts times, that its registry does, asking again if not.
  void drain(NodeId node, int attempt);
  static constexpr int kDrainAttempts = 30;
  void sample_metrics();
  void write_redundancy(const std::string& t);
  // With lose_disk, the node's disk comes back empty (SimNode::lose_disk).
  void crash(NodeId id, bool lose_disk = false);
  void restart(NodeId id);
  void disturb(const std::vector<NodeId>& nodes);
  void undisturb_all();
  void finish();
  void poll_stop();
  std::map<std::string, CheckResult> judge(Time end) const;
  CheckResult judge_durability() const;
  void record_fault(const Fault& fault);
  // Writes `bytes` to out_dir/name (nothing without an out_dir).
  void write_file(const std::string& name, const std::string& bytes);
  // Reports progress if the hook is set and its interval has passed (cheap to call often).
  void maybe_report_progress(bool force = false);

  Scenario scenario_;
  RunOptions options_;
  std::unique_ptr<simgrid::s4u::Engine> engine_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::unique_ptr<WorkerPool> flows_;  // actors that carry flows, on the controller host
  simgrid::s4u::Host* controller_host_ = nullptr;
  NetworkFaults network_;
  std::unique_ptr<ConnectionModel> connections_;
  NetworkStats stats_;
  std::unique_ptr<Trace> trace_;
  std::FILE* metrics_csv_ = nullptr;
  struct LastValue {
    std::string name;
    double value;
  };
  std::vector<std::vector<LastValue>> last_sample_;  // per node, as last written
  CounterTotals counter_totals_;                     // for the expect check
  std::multimap<std::pair<Time, uint64_t>, Action> actions_;
  uint64_t action_seq_ = 0;
  std::unordered_set<Envelope*> in_flight_;
  check::GroundTruth truth_;
  MembershipRun membership_;  // what each node's failure detector concluded
  std::map<NodeId, Time> disturbed_since_;
  CrashDamage damage_;
  Rng disk_fault_rng_{Rng::derive(scenario_.seed, 0xd15c)};  // bit rot draws
  std::unique_ptr<RaftRun> raft_;                            // set when the scenario has meta nodes
  std::unique_ptr<StorageRun> storage_;          // set when the scenario has storage nodes
  std::unique_ptr<FileRun> files_;               // set when the scenario has file clients
  std::unique_ptr<DrainProbe> drains_;           // set when the scenario checks `drained`
  std::unique_ptr<RedundancyProbe> redundancy_;  // set when the scenario checks redundancy
  std::unique_ptr<PlacementRun> placement_;      // set when the scenario has `placement:`
  RoleRegistry builtin_;                         // used when options_.roles is null
  const RoleRegistry* roles_ = nullptr;
  Hooks hooks_;
  NodeId crashed_leader_ = kNoNode;           // for `restart: leader`
  NodeId current_leader_resolved_ = kNoNode;  // the node the last `leader` fault resolved to
  std::vector<FaultOutcome> fault_outcomes_;  // per fault (describe_faults' outcomes)
  bool stop_requested_ = false;               // options_.on_event asked to end the run
  std::chrono::steady_clock::time_point wall_start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_progress_ = wall_start_;
  uint32_t arrivals_since_progress_check_ = 0;
  // The up meta node leading the highest term, or kNoNode.
  NodeId current_leader();
  // A fault naming `leader`, with its targets filled in now (nullopt: no leader to hit).
  std::optional<Fault> resolve(const Fault& fault);
};

}  // namespace cairn::sim
