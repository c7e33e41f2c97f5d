// Property tests of the repair planner's moves (planner.h, "Moves"): a random cluster and
// stripes placed by one policy, then a placement change (a node drains, a node joins, a
// node's weight changes) and a random schedule of task outcomes, lost commits, nodes going
// down and up (within the grace, so nothing is lost) and leader changes. After every step:
// each task is a move that moved_shards() names, to the node it names, onto a node that
// is up and holds no shard of the stripe; budgets hold (move_bytes_max for moves). Once the
// schedule ends and every task succeeds, every stripe is where the new policy puts it for
// the shards moved_shards() names, and where it was for every other shard.
//
// CTest runs them on pinned seeds (core/repair/CMakeLists.txt); fresh seeds:
//   RC_PARAMS="max_success=5000" ./repair_test --gtest_filter='PlannerProperty.*'
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>

#include "core/placement/rendezvous.h"
#include "core/repair/planner.h"
#include "core/repair/testing.h"

namespace cairn::repair {
namespace {

using ShardKey = std::pair<cas::Digest, int>;
enum class Change { kDrain, kJoin, kReweight };
enum class Act { kTick, kSucceed, kFail, kCommit, kLoseCommit, kDown, kUp, kNewLeader };

std::shared_ptr<const placement::PlacementPolicy> rendezvous(const placement::Membership& m) {
  auto p = placement::Rendezvous::build(m);
  RC_ASSERT(p.ok());
  return std::make_shared<placement::Rendezvous>(std::move(*p));
}

class MoveWorld {
 public:
  MoveWorld(PlannerOptions o, std::shared_ptr<const placement::PlacementPolicy> before,
            std::shared_ptr<const placement::PlacementPolicy> after)
      : o_(o), before_(std::move(before)), after_(std::move(after)) {
    for (const auto* p : {before_.get(), after_.get()}) {
      for (uint32_t i = 0; i < p->topology().size(); ++i) nodes_.insert(p->topology().node(i).id);
    }
  }

  void add(const storage::ChunkLayout& l) {
    layouts_[l.chunk] = l;
    initial_[l.chunk] = l;
    auto moves = placement::moved_shards(*before_, *after_, {l.chunk.prefix64()}, l.total_shards());
    RC_ASSERT(moves.ok());
    for (const auto& m : *moves) expected_[{l.chunk, m.shard}] = m.to;
  }

  // A leader that starts from the table: the previous policy, then the new one.
  void new_leader() {
    planner_ = std::make_unique<Planner>(o_, before_);
    outstanding_.clear();
    moves_.clear();
    for (const auto& [chunk, l] : layouts_) RC_ASSERT(planner_->set_layout(l).ok());
    for (NodeId n : down_) planner_->node_down(n);
    planner_->set_placement(after_);
    RC_ASSERT(planner_->moves_pending() <= expected_.size());
    drain();
  }

  void step(Act act, int a) {
    switch (act) {
      case Act::kTick:
        planner_->tick();
        break;
      case Act::kSucceed:
      case Act::kFail:
        answer(a, act == Act::kSucceed);
        break;
      case Act::kCommit:
      case Act::kLoseCommit:
        deliver(a, act == Act::kCommit);
        break;
      case Act::kDown:
      case Act::kUp: {
        auto it = nodes_.begin();
        std::advance(it, a % static_cast<int>(nodes_.size()));
        if (act == Act::kDown) {
          down_.insert(*it);
          planner_->node_down(*it);
        } else {
          down_.erase(*it);
          planner_->node_up(*it);
        }
        break;
      }
      case Act::kNewLeader:
        new_leader();
        break;
    }
    drain();
  }

  void settle(int rounds) {
    for (NodeId n : down_) planner_->node_up(n);
    down_.clear();
    for (int r = 0; r < rounds && planner_->moves_pending() != 0; ++r) {
      while (!outstanding_.empty()) answer(0, true), drain();
      while (!moves_.empty()) deliver(0, true), drain();
      planner_->tick();
      drain();
    }
  }

  // Moved shards where the new policy wants them; every other shard where it was.
  void check_converged() const {
    RC_ASSERT(planner_->moves_pending() == 0u);
    for (const auto& [chunk, l] : layouts_) {
      for (int i = 0; i < l.total_shards(); ++i) {
        const NodeId now = l.shards[static_cast<size_t>(i)].node;
        auto e = expected_.find({chunk, i});
        const NodeId want = e != expected_.end()
                                ? e->second
                                : initial_.at(chunk).shards[static_cast<size_t>(i)].node;
        RC_ASSERT(now == want);
      }
    }
  }
  size_t expected_moves() const { return expected_.size(); }

 private:
  void answer(int pick, bool ok) {
    if (outstanding_.empty()) return;
    const RebuildTask t = testing::take(outstanding_, pick);
    const bool done = ok && !down_.count(t.to);
    planner_->task_done(t.id, done ? absl::OkStatus() : absl::UnavailableError("no"));
  }

  void deliver(int pick, bool apply) {
    if (moves_.empty()) return;
    const LayoutMove m = testing::take(moves_, pick);
    storage::ChunkLayout& l = layouts_.at(m.chunk);
    if (!apply || !testing::apply_move(l, m)) return;
    RC_ASSERT(planner_->set_layout(l).ok());
  }

  void drain() {
    planner_->check_invariants();
    const size_t running = planner_->tasks_running();
    RC_ASSERT(planner_->move_bytes_in_flight() <= o_.move_bytes_max || running == 1);
    RC_ASSERT(planner_->bytes_in_flight() <= o_.total_bytes_max || running == 1);
    for (NodeId n : nodes_) {
      RC_ASSERT(planner_->bytes_in_flight(n) <= o_.node_bytes_max ||
                planner_->tasks_running(n) == 1);
    }
    Ready r = planner_->ready();
    RC_ASSERT(r.declared_dead.empty() && r.unrecoverable.empty());
    for (const RebuildTask& t : r.tasks) {
      RC_ASSERT(t.move);
      auto e = expected_.find({t.layout.chunk, t.shard});
      RC_ASSERT(e != expected_.end());  // moved_shards names it ...
      RC_ASSERT(e->second == t.to);     // ... and sends it there
      RC_ASSERT(!down_.count(t.to));
      const auto& l = layouts_.at(t.layout.chunk);
      RC_ASSERT(l.shards[static_cast<size_t>(t.shard)].node == t.from);
      for (const auto& p : l.shards) RC_ASSERT(p.node != t.to);
      outstanding_.push_back(t);
    }
    for (const LayoutMove& m : r.moves) moves_.push_back(m);
  }

  PlannerOptions o_;
  std::shared_ptr<const placement::PlacementPolicy> before_, after_;
  std::set<NodeId> nodes_;
  std::unique_ptr<Planner> planner_;
  std::map<cas::Digest, storage::ChunkLayout> layouts_, initial_;
  std::map<ShardKey, NodeId> expected_;
  std::set<NodeId> down_;
  std::vector<RebuildTask> outstanding_;
  std::vector<LayoutMove> moves_;
};

RC_GTEST_PROP(PlannerProperty, PlacementChangeMovesWhatMovedShardsNamesWithinBudget, ()) {
  const int zones = *rc::gen::inRange(1, 4);
  const int per_zone = *rc::gen::inRange(zones == 1 ? 3 : 2, 5);
  const placement::Membership m1 = placement::testing::balanced_membership(zones, per_zone);
  placement::Membership m2 = m1;
  m2.epoch = m1.epoch + 1;
  const auto change = *rc::gen::element(Change::kDrain, Change::kJoin, Change::kReweight);
  const size_t victim = *rc::gen::inRange<size_t>(0, m1.nodes.size());
  if (change == Change::kDrain) {
    m2.nodes.erase(m2.nodes.begin() + static_cast<long>(victim));
  } else if (change == Change::kJoin) {
    m2.nodes.push_back({static_cast<NodeId>(1000 * (victim % static_cast<size_t>(zones)) + 900),
                        absl::StrCat("z", victim % static_cast<size_t>(zones)), "r0", 1.0});
  } else {
    m2.nodes[victim].weight = *rc::gen::element(0.25, 3.0);
  }
  RC_TAG(static_cast<int>(change));
  const int width_max =
      std::min({static_cast<int>(m1.nodes.size()), static_cast<int>(m2.nodes.size()), 6});
  const uint64_t unit = storage::erasure_shard_bytes(2, 4096) * 2;
  PlannerOptions o;
  o.grace_ticks = 1'000'000;  // no node is ever declared dead: every task is a move
  o.retry_ticks = *rc::gen::inRange(1, 4);
  o.task_timeout_ticks = *rc::gen::inRange(3, 20);
  o.commit_timeout_ticks = *rc::gen::inRange(3, 20);
  o.node_bytes_max = unit * *rc::gen::inRange<uint64_t>(1, 4);
  o.total_bytes_max = unit * *rc::gen::inRange<uint64_t>(2, 10);
  o.move_bytes_max = unit * *rc::gen::inRange<uint64_t>(1, 4);
  o.max_tasks_per_node = *rc::gen::inRange<size_t>(1, 4);
  MoveWorld world(o, rendezvous(m1), rendezvous(m2));
  const auto before = rendezvous(m1);
  const int chunks = *rc::gen::inRange(1, 24);
  for (int c = 0; c < chunks; ++c) {
    const int k = *rc::gen::inRange(1, width_max);
    const int m = *rc::gen::inRange(1, width_max - k + 1);
    const uint64_t bytes = *rc::gen::inRange<uint64_t>(1, 3 * 4096);
    world.add(testing::placed_layout(*before, c, k, m, bytes));
  }
  world.new_leader();
  const auto acts = *rc::gen::container<std::vector<std::pair<Act, int>>>(
      rc::gen::pair(rc::gen::weightedElement<Act>({{6, Act::kTick},
                                                   {4, Act::kSucceed},
                                                   {1, Act::kFail},
                                                   {3, Act::kCommit},
                                                   {1, Act::kLoseCommit},
                                                   {1, Act::kDown},
                                                   {1, Act::kUp},
                                                   {1, Act::kNewLeader}}),
                    rc::gen::inRange(0, 1000)));
  for (const auto& [act, a] : acts) world.step(act, a);
  world.settle(4000);
  RC_TAG(world.expected_moves() > 0 ? "moves" : "no moves");
  world.check_converged();
}

}  // namespace
}  // namespace cairn::repair
