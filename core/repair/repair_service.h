// RepairService: runs the repair planner (planner.h) on the meta leader, and only there.
//
// Every tick_interval, on a node whose Raft service leads: it feeds the planner the chunk
// table's layouts (the namespace state machine, as applied here), the failure detector's
// verdicts (a node the local Membership holds dead is down, an alive one up), and one
// tick; it sends the planner's rebuild tasks to their target storage nodes (RebuildClient)
// and hands their outcomes back; it proposes each successful rebuild as a MoveShard
// command through Raft, and the applied layout closes the repair. A node that stops
// leading drops its planner; a new leader starts from the chunk table, so an interrupted
// repair resumes without duplicates (a move already applied is a no-op).
//
// It also audits the storage nodes: it walks the shards the chunk table places on each
// live node, audit_batch of them per node per tick, and asks the node which it lacks
// (RebuildClient::audit). A shard the node lacks (its disk was replaced or wiped, or the
// scrubber or a reader quarantined it as rotten) is reported to the planner, which
// rebuilds it in place. A pass over a node starts at once when the node comes back up or
// the failure detector sees it restarted (a new incarnation), and otherwise every
// audit_interval; layouts younger than audit_min_age are skipped (their put may still be
// storing shards).
//
// Placement changes: the planner follows the configured storage members until a node is
// registered in the namespace's node registry; then, at every registry epoch, the policy
// registry_placement() builds (a draining node leaves it, a node registered later joins),
// so the planner moves the shards the change asks for (planner.h, "Moves"). A new planner
// is given the configured policy first and the registry's next, so a new leader resumes
// the moves. A node registered NODE_DRAINING is drained once no layout places a shard on
// it: the event drain_done (node) once per leader, the counter repair_drains_done.
// Once the registry amends the placement, the leader sends it to every storage node
// (kPlacementUpdate, storage::PlacementListener) at each change and every
// placement_push_every ticks, so coordinators place new writes on it too.
//
// Records the events repair_dead (node), repair_start and repair_done (chunk, shard,
// from/to, bytes), move_start and move_done (the same fields, for a placement change's
// moves), placement_change (epoch, nodes; or error), drain_done (node), repair_failed,
// repair_unrecoverable (chunk), repair_missing (storage: the node, chunk, shard) and
// repair_audit_pass (storage, shards, missing) at the end of each pass.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/meta/namespace_state_machine.h"
#include "core/raft/raft_service.h"
#include "core/repair/planner.h"
#include "core/runtime/service.h"
#include "core/storage/rebuild_service.h"

namespace cairn::membership {
class Membership;
}

namespace cairn::repair {

struct RepairOptions {
  Duration tick_interval = std::chrono::seconds(1);
  PlannerOptions planner;
  size_t audit_batch = 1024;           // shards asked of a node per tick (0: no audits)
  uint64_t audit_interval = 10;        // ticks from the end of a pass to the next
  uint64_t placement_push_every = 10;  // ticks between re-sends of the registry's placement
  uint64_t audit_min_age = 10;         // ticks a layout is known before its shards are asked
};

class RepairService final : public Service {
 public:
  // REQUIRES: every reference outlives the service; `ns` is the machine `raft` applies to
  // (on its namespace channel). `detector` may be null: then no node is ever down.
  RepairService(Runtime& rt, raft::RaftService& raft, const meta::NamespaceStateMachine& ns,
                storage::RebuildClient& rebuilds, const membership::Membership* detector,
                std::shared_ptr<const placement::PlacementPolicy> placement,
                RepairOptions options = {});
  ~RepairService() override;

  std::vector<MessageType> message_types() const override { return {}; }
  void start() override;
  void on_message(NodeId, const Message&) override {}
  void check_invariants() const override;

  const Planner* planner() const { return planner_.get(); }

  // Told when a rebuild or move task starts and ends (`bytes` moved when it ends, 0 if it
  // failed), for each node that takes part: the target, and a move's source. Node scoring
  // measures shard-transfer bandwidth with it (score_service.h). Every start is followed by
  // one end, on the leader that started it. Empty: nobody is told.
  using TransferObserver = std::function<void(NodeId node, bool start, uint64_t bytes)>;
  void set_transfer_observer(TransferObserver observer) { transfers_ = std::move(observer); }

 private:
  void tick();
  void sync_layouts();
  void sync_liveness();
  // On every node, leader or not: when this node's failure detector first held each
  // storage node dead, so that a new leader's grace counts from then.
  void watch_deaths();
  void sync_placement();  // the registry's policy, when its epoch changed
  void check_drains();
  void push_placement();
  void drain();
  void send(const RebuildTask& task);
  void propose(const LayoutMove& move);
  void audit();
  // Gauges repair_leading, repair_lost_shards, repair_damaged_stripes, repair_tasks,
  // repair_bytes_in_flight, repair_moves_pending, repair_move_bytes_in_flight and
  // repair_draining_stripes (stripes with a shard on a draining node) (all 0 off the leader).
  void export_gauges();
  struct Audit;
  void end_pass(NodeId node, Audit& a);
  void audit_answer(NodeId node, uint64_t pass, std::vector<PlacedShard> asked,
                    absl::StatusOr<std::vector<size_t>> missing);

  struct Audit {
    std::optional<cas::Digest> cursor;      // where the pass resumes
    std::optional<cas::Digest> batch_from;  // the cursor the batch in flight started at
    uint64_t pass = 0;                      // bumped at each pass start
    uint64_t pass_shards = 0;               // asked in this pass so far
    uint64_t pass_missing = 0;              // found missing in this pass so far
    uint64_t next_pass = 0;                 // planner tick the next pass may start
    bool in_pass = true;
    bool in_flight = false;
    bool last_batch = false;  // the batch in flight ends the pass
    bool was_up = false;
    uint64_t incarnation = 0;
  };

  Runtime& rt_;
  raft::RaftService& raft_;
  const meta::NamespaceStateMachine& ns_;
  storage::RebuildClient& rebuilds_;
  const membership::Membership* detector_;
  std::shared_ptr<const placement::PlacementPolicy> placement_;
  RepairOptions options_;
  std::unique_ptr<Planner> planner_;         // only while leading
  uint64_t generation_ = 0;                  // bumped with each new planner
  std::map<cas::Digest, std::string> seen_;  // layouts given to the planner, serialized
  // The namespace's applied index when seen_ was last synced: the chunk table changes only
  // by applying entries (or a snapshot), so an unchanged index means nothing to re-read.
  std::optional<uint64_t> synced_index_;
  std::map<NodeId, Audit> audits_;                            // per storage node, while leading
  std::shared_ptr<const placement::PlacementPolicy> pushed_;  // the registry's, once one
  uint64_t ticks_since_push_ = 0;
  std::vector<NodeId> nodes_;               // configured and registered storage nodes, ascending
  std::optional<uint64_t> registry_epoch_;  // the registry epoch the planner follows
  std::set<NodeId> draining_, drained_;     // registered draining; reported drained
  std::map<NodeId, Time> dead_since_;       // held dead by the local detector since
  TransferObserver transfers_;
  TimerId timer_ = kNoTimer;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cairn::repair
