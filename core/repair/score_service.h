// ScoreService: node scoring on the meta leader. It measures each storage node (the
// node-stat probe, repair's shard transfers, the failure detector's verdicts), and every
// `interval` steps the placement weights toward the nodes' scores (ScoreFeed,
// core/repair/score_feed.h) and commits the weights that moved through Raft as
// RegisterNode commands. The registry epoch then changes, and repair moves the shards the
// new placement asks for, within its budgets (repair_service.h, planner.h "Moves").
//
// Promises:
//   - interval 0: no timer, no probe, no command (the default);
//   - acts only while its Raft service leads; a node that starts leading starts measuring
//     afresh and reads the weights to step from the registry (as committed), so a leader
//     change never puts back older weights;
//   - re-weights only nodes registered NODE_UP or configured and unregistered; each
//     command is conditional (RegisterNode.only_if_up), so a drain or a death committed
//     meanwhile is never undone; it keeps the registered address, zone and capacity;
//   - no weight moves more than max_step of itself per interval, none within hysteresis of
//     its target; no step while a commit of the last one is unanswered;
//   - a probe is sent to a node the failure detector holds up, at most one in flight per
//     node; one unanswered for an interval is counted failed and forgotten.
//
// Records the event score_update (node, old, new, capacity, free, bandwidth, latency_ms,
// uptime, flaps) per committed change; counters score_updates, score_probes,
// score_probe_failures, score_commit_failures, score_bad_responses; gauges
// score_nodes_scored, score_weight_min, score_weight_max (over the nodes re-weighted; 0 off
// the leader).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "core/meta/namespace_state_machine.h"
#include "core/placement/policy.h"
#include "core/raft/raft_service.h"
#include "core/repair/score_feed.h"
#include "core/repair/score_settings.h"
#include "core/runtime/service.h"

namespace cairn::membership {
class Membership;
}

namespace cairn::repair {

class ScoreService final : public Service {
 public:
  // REQUIRES: every reference outlives the service; `ns` is the machine `raft` applies to
  // (on its namespace channel); settings.validate() is OK. `detector` may be null (every
  // node up); `configured` is the configured storage placement.
  ScoreService(Runtime& rt, raft::RaftService& raft, const meta::NamespaceStateMachine& ns,
               const membership::Membership* detector,
               std::shared_ptr<const placement::PlacementPolicy> configured,
               ScoreSettings settings);
  ~ScoreService() override;

  std::vector<MessageType> message_types() const override;
  void start() override;
  void on_message(NodeId from, const Message& message) override;
  void check_invariants() const override;

  // Repair's transfer observer (RepairService::set_transfer_observer).
  void transfer(NodeId node, bool start, uint64_t bytes);

 private:
  struct Probe {
    uint64_t id = 0;
    Time sent{};
  };
  void schedule();
  void sample();
  void step();
  // The weights placement uses now for the nodes scoring may re-weight.
  std::map<NodeId, double> current_weights() const;
  void commit(const WeightChange& change);
  void export_gauges(const std::map<NodeId, double>& weights);

  Runtime& rt_;
  raft::RaftService& raft_;
  const meta::NamespaceStateMachine& ns_;
  const membership::Membership* detector_;
  std::shared_ptr<const placement::PlacementPolicy> configured_;
  ScoreSettings settings_;
  std::optional<ScoreFeed> feed_;   // only while leading
  std::map<NodeId, Probe> probes_;  // in flight, by node
  uint64_t next_probe_id_ = 1;
  uint64_t samples_ = 0;
  int commits_in_flight_ = 0;
  uint64_t generation_ = 0;  // bumped when leadership is gained or lost
  TimerId timer_ = kNoTimer;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cairn::repair
