// The repair planner (core/repair): decides which lost shards to rebuild, where, and in
// what order, as a pure, deterministic state machine in the shape of core/raft.
//
// Inputs: set_layout()/drop_chunk() (the chunk table's layouts, as committed), set_placement()
// (the placement policy, which may change: a node drains or joins), node_down()/
// node_up() (the failure detector's verdicts), report_corrupt() (a scrubber's rot event or
// a read that found a shard bad), task_done() (a rebuild's outcome), and tick() (one unit
// of logical time). Inputs only record facts; each tick() runs one planning pass over all
// of them, so a batch of inputs (a new leader loading the table) is planned as a whole.
// A task's outcome (task_done) also runs a pass, so the budget it frees goes to the next
// task at once rather than at the next tick.
// Output: ready() drains a Ready batch of rebuild tasks to send, layout moves to commit,
// and events to record. Nothing here reads a clock, sends or stores.
//
// Promises:
//   - a node down for grace_ticks is declared dead and its shards are lost; a node back
//     within the grace costs no repair. A shard reported corrupt is lost at once;
//   - work goes out most-damaged stripe first (fewest shards to spare), then by digest
//     and shard index; a task waiting for the total budget holds back every later one;
//   - a shard reported corrupt or missing on a node that is up is rebuilt in place, on
//     that node (no layout change to commit), unless a rebuild there failed before;
//   - any other lost shard gets a replacement node from the placement policy's order: never
//     a node of the stripe, never a target of another task of the stripe, never a down node,
//     in a zone the stripe's surviving shards do not use while such a node exists;
//   - bytes in flight (a task costs k * shard_bytes, what its node reads to rebuild) stay
//     within node_bytes_max per rebuilding node and total_bytes_max overall, except that a
//     lone task may always run (so a shard larger than a budget is not stuck forever);
//     and at most max_tasks_per_node tasks run on one node;
//   - at most one task per (chunk, shard) at any time; a task whose shard's layout changed
//     (committed by someone else, a replay, a new leader) is dropped, and a late answer to
//     a dropped or timed-out task is ignored;
//   - once faults stop and tasks succeed, every stripe with at least k intact shards is
//     back to k + m shards on distinct live nodes.
//
// Mirror pairs (chunk_layout.h): a mirrored layout's unit of repair is a slot (one copy).
// A shard counts intact while either copy is; a lost copy whose partner is intact is copied
// from the partner (a task of shard_bytes) to the partner's new pair: the partner's pair in
// the mirror pairs over the current members if that node is free, otherwise the first
// free node in an order keyed by the partner, in another zone than the partner's where one
// is left, so an orphaned partner is re-paired with the same node in every stripe that
// node holds no shard of. When both
// copies are lost, the even slot is rebuilt from k other shards first and the odd one is
// then copied from it. Moves of mirrored stripes follow those mirror pairs.
//
// Moves (planner_move.cc): when the placement changes, each stripe's wanted moves are the
// per-stripe step of placement::moved_shards (reassign()) from its layout toward the new
// policy's nodes for it, keeping only shards whose node the change asks to leave: one the
// previous policy wanted for the stripe but the new one does not, or one the new policy
// does not hold at all (a draining node). A shard a repair put elsewhere stays there.
//   - a move is a RebuildTask with `move` set (the new node copies the shard from the old
//     one, or rebuilds it from k survivors if that fails: it is budgeted as a rebuild) and
//     commits as a LayoutMove; the old shard stays in the layout until then, so a stripe
//     never has fewer intact shards because of a move;
//   - moves go out after every repair of the pass, never for a stripe with a lost shard,
//     never onto a down node or a node the stripe uses or targets already; they count
//     against the same budgets as repairs and, all together, against move_bytes_max
//     (below total_bytes_max, so repairs always find room); at most max_tasks_per_node
//     moves read from one old node at a time;
//   - a new planner given the previous policy first and then the new one (set_placement
//     twice) plans the same moves as the one that saw the change.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "absl/status/status.h"
#include "core/cas/digest.h"
#include "core/placement/policy.h"
#include "core/storage/chunk_layout.h"

namespace cairn::repair {

using cairn::NodeId;

struct PlannerOptions {
  int grace_ticks = 10;                     // down this long: declared dead, its shards lost
  int task_timeout_ticks = 60;              // a task unanswered this long has failed
  int retry_ticks = 5;                      // a shard whose task failed waits this long
  int commit_timeout_ticks = 30;            // a move not seen in a layout by then is planned again
  uint64_t node_bytes_max = 64ull << 20;    // in flight per rebuilding node
  uint64_t total_bytes_max = 256ull << 20;  // in flight overall
  size_t max_tasks_in_flight = 1024;
  size_t max_tasks_per_node = 8;          // rebuilds running on one node (its Rebuilder's bound)
  size_t excluded_targets_max = 8;        // failed targets remembered per shard
  uint64_t move_bytes_max = 64ull << 20;  // moves (placement changes) in flight overall
};

// Rebuild shard `shard` of `layout` on node `to` (it fetches any k survivors itself).
struct RebuildTask {
  uint64_t id = 0;
  storage::ChunkLayout layout;
  int shard = 0;
  NodeId from = kNoNode;  // where the layout has the lost shard
  NodeId to = kNoNode;    // == from: rebuilt in place (a corrupt or missing shard)
  uint64_t bytes = 0;     // k * shard_bytes
  int spare = 0;          // shards the stripe could still lose when planned (priority)
  bool move = false;      // a placement change's move, not a repair
  // Copy the shard from here first (rebuild from survivors only if that fails): a move's
  // old node, or the surviving copy of a mirrored shard. kNoNode: rebuild.
  NodeId copy_from = kNoNode;
};

// A shard the layouts place on a node, for repair's audit of that node (shards_on()).
struct PlacedShard {
  cas::Digest chunk;
  int shard = 0;
  cas::Digest digest;  // the shard's own
};

struct AuditBatch {
  std::vector<PlacedShard> shards;
  std::optional<cas::Digest> next_after;  // where the next batch starts; nullopt: the end
};

// A successful rebuild to commit: shard `shard` of `chunk` moves from `from` to `to`,
// only if the layout still has `from` there and `to` holds no other shard of the chunk
// (a move the planner gave up on may still commit late, beside a newer one).
struct LayoutMove {
  uint64_t task = 0;
  cas::Digest chunk;
  int shard = 0;
  NodeId from = kNoNode;
  NodeId to = kNoNode;
};

// A move seen applied in a layout: the shard is whole again.
struct Repaired {
  cas::Digest chunk;
  int shard = 0;
  NodeId to = kNoNode;
  uint64_t bytes = 0;  // shard_bytes
  bool move = false;   // a placement change's move, not a repair
};

struct Ready {
  std::vector<NodeId> declared_dead;
  std::vector<RebuildTask> tasks;  // in priority order
  std::vector<LayoutMove> moves;
  std::vector<Repaired> repaired;
  std::vector<cas::Digest> unrecoverable;  // fewer than k intact shards (reported once)
  bool empty() const {
    return declared_dead.empty() && tasks.empty() && moves.empty() && repaired.empty() &&
           unrecoverable.empty();
  }
};

class Planner {
 public:
  // REQUIRES: placement non-null.
  Planner(PlannerOptions options, std::shared_ptr<const placement::PlacementPolicy> placement);

  // ---- inputs ----
  // The policy repairs and moves follow. A policy of a later epoch than the current one is
  // a placement change: the current one becomes the previous (see Moves above).
  void set_placement(std::shared_ptr<const placement::PlacementPolicy> placement);
  // The committed layout of a chunk (new or changed). InvalidArgument if it does not
  // validate (nothing changes).
  absl::Status set_layout(const storage::ChunkLayout& layout);
  void drop_chunk(const cas::Digest& chunk);
  // `node` is down, and was seen down `down_for_ticks` ticks before this call (by whoever
  // watched before this planner existed: a new leader's own failure detector), so its
  // grace runs from then, not from this planner's first view.
  void node_down(NodeId node, uint64_t down_for_ticks = 0);
  void node_up(NodeId node);
  // Shard `shard` of `chunk` on `node` is bad or missing. NotFound for an unknown chunk;
  // FailedPrecondition if the layout no longer has `node` at `shard` (a stale report).
  absl::Status report_corrupt(const cas::Digest& chunk, int shard, NodeId node);
  // A task's outcome. Returns false (and does nothing) for a task no longer wanted.
  bool task_done(uint64_t task, const absl::Status& status);
  // Shard `shard` of `chunk` is intact on `node` again, though no task wanted it (a late
  // answer of a rebuild in place): if the layout has it there and counts it lost as
  // corrupt, it counts again, and a task rebuilding it elsewhere is dropped.
  void shard_restored(const cas::Digest& chunk, int shard, NodeId node);
  void tick();

  // ---- output ----
  bool has_ready() const { return !out_.empty(); }
  Ready ready();

  // ---- queries ----
  uint64_t now_ticks() const { return now_; }
  bool dead(NodeId node) const;
  uint64_t bytes_in_flight() const { return total_bytes_; }
  uint64_t bytes_in_flight(NodeId node) const;
  uint64_t move_bytes_in_flight() const { return move_bytes_; }
  // Shards the placement change still wants moved (those with a task included).
  size_t moves_pending() const { return wanted_.size(); }
  // Stripes whose layout places a shard on `node`.
  size_t stripes_on(NodeId node) const;
  size_t tasks_in_flight() const { return tasks_.size(); }  // running or committing
  size_t tasks_running() const;
  size_t tasks_running(NodeId node) const;
  // Shards of `chunk` the planner counts as lost (dead node or reported corrupt).
  std::vector<int> lost_shards(const cas::Digest& chunk) const;
  // Lost shards over every stripe (those with a task included), and stripes with any.
  size_t lost_shards() const;
  size_t damaged_stripes() const;
  const storage::ChunkLayout* layout(const cas::Digest& chunk) const;
  // Up to `max` shards the layouts place on `node`, walking chunks in digest order after
  // `after` (nullopt: from the first): only shards not already counted lost and without a
  // task, of layouts known for at least `min_age_ticks` (younger ones may still have
  // shards in flight from their put).
  AuditBatch shards_on(NodeId node, const std::optional<cas::Digest>& after, size_t max,
                       uint64_t min_age_ticks) const;
  // Aborts (CAIRN_ASSERT) if an internal invariant does not hold.
  void check_invariants() const;

 private:
  enum class TaskState { kRunning, kCommitting };
  struct Task {
    cas::Digest chunk;
    int shard = 0;
    NodeId from = kNoNode;
    NodeId to = kNoNode;
    uint64_t bytes = 0;
    uint64_t deadline = 0;
    TaskState state = TaskState::kRunning;
    bool move = false;
  };
  struct Stripe {
    storage::ChunkLayout layout;
    std::set<int> corrupt;
    bool reported_unrecoverable = false;
    uint64_t since = 0;  // the tick its layout was first set
  };
  struct Retry {
    uint64_t not_before = 0;
    std::vector<NodeId> excluded;
  };
  struct NodeState {
    int64_t down_since = 0;  // a tick; before this planner's first when seen earlier
    bool dead = false;
  };
  using ShardKey = std::pair<cas::Digest, int>;
  struct Work {
    int spare = 0;
    cas::Digest chunk;
    int shard = 0;
  };

  // planner.cc
  bool lost(const Stripe& s, int shard) const;  // a slot
  // Shards of the code with at least one copy not lost.
  int intact(const Stripe& s) const;
  // A lost slot whose partner copy is intact: it is copied, not rebuilt.
  bool copyable(const Stripe& s, int slot) const;
  uint64_t task_bytes(const Stripe& s, int slot) const;
  // Whether a node may take slot `slot`: it holds no place of the stripe and is no task's
  // target for it, is up and in the placement, and (avoid_failed) no task for the slot
  // failed there.
  std::function<bool(NodeId)> free_for(const Stripe& s, int slot, bool avoid_failed) const;
  NodeId pick_partner(const Stripe& s, int slot, uint64_t bytes) const;
  NodeId pick_partner(const Stripe& s, int slot, uint64_t bytes, bool avoid_failed) const;
  void index(const storage::ChunkLayout& layout, bool add);
  void drop_task(uint64_t id);
  void fail_task(uint64_t id);
  void finish_in_place(uint64_t id);
  // planner_plan.cc
  void plan();
  std::vector<Work> work() const;
  NodeId pick_target(const Stripe& s, int shard, uint64_t bytes) const;
  NodeId pick_target(const Stripe& s, int shard, uint64_t bytes, bool avoid_failed) const;
  void start(const Stripe& s, const Work& w, NodeId to, uint64_t bytes, bool move);
  bool fits(uint64_t in_flight, uint64_t bytes, uint64_t max) const;
  bool fits_node(NodeId node, uint64_t bytes) const;
  void release(const Task& t);  // its bytes leave the budgets
  // planner_move.cc
  void want_moves(const Stripe& s);
  void plan_moves();

  PlannerOptions options_;
  std::shared_ptr<const placement::PlacementPolicy> placement_;
  std::shared_ptr<const placement::PlacementPolicy> before_;  // the previous epoch's, if any
  // Mirror pairs (placement::mirror_over) over the first policy's members and placement_'s,
  // and before_'s: what mirrored stripes follow (null when too few nodes).
  std::optional<placement::Topology> first_;
  std::shared_ptr<const placement::PlacementPolicy> mirror_;
  std::shared_ptr<const placement::PlacementPolicy> mirror_before_;
  std::map<NodeId, int> zone_;  // of each node in the placement's topology
  uint64_t now_ = 0;
  uint64_t next_task_ = 1;
  std::map<cas::Digest, Stripe> stripes_;
  std::map<NodeId, std::set<cas::Digest>> by_node_;  // chunks with a shard on the node
  std::map<NodeId, NodeState> down_;
  std::set<cas::Digest> damaged_;  // chunks that may have lost shards
  std::map<uint64_t, Task> tasks_;
  std::map<ShardKey, uint64_t> by_shard_;
  std::map<ShardKey, Retry> retry_;
  std::map<NodeId, uint64_t> node_bytes_;
  uint64_t total_bytes_ = 0;
  std::map<ShardKey, NodeId> wanted_;  // moves the placement change asks for: shard -> node
  uint64_t move_bytes_ = 0;            // moves' share of total_bytes_
  Ready out_;
};

}  // namespace cairn::repair
