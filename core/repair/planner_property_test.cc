// Property tests of the repair planner against a model world: random clusters, stripes
// and schedules of node failures, corrupt reports, task outcomes, lost commits and leader
// changes. After every step: work goes out most-damaged first, budgets hold, a stripe
// never has two shards (or targets) on one node (a rebuild in place targets only its own
// shard's node), no (chunk, shard) has two live tasks.
// Once faults stop and every task succeeds, every repairable stripe is whole again.
//
// CTest runs them on pinned seeds (core/repair/CMakeLists.txt); fresh seeds:
//   RC_PARAMS="max_success=5000" ./repair_test --gtest_filter='PlannerProperty.*'
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "core/repair/planner.h"
#include "core/repair/testing.h"

namespace cairn::repair {
namespace {

enum class Act { kTick, kDown, kUp, kSucceed, kFail, kCommit, kLoseCommit, kCorrupt, kNewLeader };

struct Step {
  Act act = Act::kTick;
  int a = 0;
  int b = 0;
};

void showValue(const Step& s, std::ostream& os) {
  static const char* const kNames[] = {"tick",   "down",        "up",      "succeed",   "fail",
                                       "commit", "lose-commit", "corrupt", "new-leader"};
  os << kNames[static_cast<int>(s.act)] << "(" << s.a << "," << s.b << ")";
}

class World {
 public:
  World(PlannerOptions options, std::shared_ptr<const placement::PlacementPolicy> policy,
        std::vector<NodeId> faulty)
      : options_(options), policy_(std::move(policy)), faulty_(std::move(faulty)) {
    for (uint32_t i = 0; i < policy_->topology().size(); ++i) {
      nodes_.push_back(policy_->topology().node(i).id);
    }
    new_leader();
  }

  void add(const storage::ChunkLayout& l) {
    layouts_[l.chunk] = l;
    RC_ASSERT(planner_->set_layout(l).ok());
    drain();
  }

  void step(const Step& s) {
    switch (s.act) {
      case Act::kTick:
        // One planning pass per tick: drain each, so ordering is checked per pass.
        for (int i = 0; i < s.a % 4; ++i) planner_->tick(), drain();
        planner_->tick();
        break;
      case Act::kDown:
        if (faulty_.empty()) break;
        down_.insert(faulty_[static_cast<size_t>(s.a) % faulty_.size()]);
        planner_->node_down(faulty_[static_cast<size_t>(s.a) % faulty_.size()]);
        break;
      case Act::kUp:
        if (faulty_.empty()) break;
        down_.erase(faulty_[static_cast<size_t>(s.a) % faulty_.size()]);
        planner_->node_up(faulty_[static_cast<size_t>(s.a) % faulty_.size()]);
        break;
      case Act::kSucceed:
      case Act::kFail:
        answer(s.a, s.act == Act::kSucceed);
        break;
      case Act::kCommit:
      case Act::kLoseCommit:
        deliver(s.a, s.act == Act::kCommit);
        break;
      case Act::kCorrupt:
        corrupt(s.a, s.b);
        break;
      case Act::kNewLeader:
        new_leader();
        break;
    }
    drain();
  }

  // Faults stop: every task succeeds, every commit applies, time passes.
  void settle(int rounds) {
    for (int r = 0; r < rounds && !whole(); ++r) {
      while (!outstanding_.empty()) answer(0, true), drain();
      while (!moves_.empty()) deliver(0, true), drain();
      planner_->tick();
      drain();
    }
  }

  // Every stripe with k intact shards is back to k + m intact shards on distinct up nodes.
  bool whole() const {
    for (const auto& [chunk, l] : layouts_) {
      if (!repairable_.count(chunk)) continue;
      std::set<NodeId> nodes;
      for (int i = 0; i < l.slots(); ++i) {
        const NodeId n = l.shards[static_cast<size_t>(i)].node;
        if (down_.count(n) || corrupt_.count({chunk, i, n}) || !nodes.insert(n).second) {
          return false;
        }
      }
    }
    return true;
  }

  // Marks which stripes still have k intact shards when faults stop. Moves already on
  // their way commit first: one may have replaced a shard whose node came back with one
  // on a node that went down since.
  void freeze_repairable() {
    while (!moves_.empty()) deliver(0, true), drain();
    for (const auto& [chunk, l] : layouts_) {
      std::set<int> intact;  // shards of the code with a copy left
      for (int i = 0; i < l.slots(); ++i) {
        const NodeId n = l.shards[static_cast<size_t>(i)].node;
        if (!down_.count(n) && !corrupt_.count({chunk, i, n})) intact.insert(l.shard_of(i));
      }
      if (static_cast<int>(intact.size()) >= l.data_shards) repairable_.insert(chunk);
    }
  }
  size_t repairable() const { return repairable_.size(); }

  std::string dump() const {
    std::string out;
    for (NodeId n : down_) absl::StrAppend(&out, "down n", n, "\n");
    for (const auto& [chunk, l] : layouts_) {
      absl::StrAppend(&out, chunk.format().substr(7, 8), " ", l.code_name(),
                      l.mirrored ? " mirrored" : "", ":");
      for (int i = 0; i < l.slots(); ++i) {
        const NodeId n = l.shards[static_cast<size_t>(i)].node;
        absl::StrAppend(&out, " n", n, corrupt_.count({chunk, i, n}) ? "(bad)" : "");
      }
      absl::StrAppend(&out, " lost:", planner_->lost_shards(chunk).size(), "\n");
    }
    absl::StrAppend(&out, "tasks ", planner_->tasks_in_flight(), " outstanding ",
                    outstanding_.size(), " moves ", moves_.size(), "\n");
    return out;
  }

 private:
  void new_leader() {
    planner_ = std::make_unique<Planner>(options_, policy_);
    outstanding_.clear();  // answers to the old leader are lost with it
    moves_.clear();
    for (const auto& [chunk, l] : layouts_) RC_ASSERT(planner_->set_layout(l).ok());
    for (NodeId n : down_) planner_->node_down(n);
    for (const auto& [chunk, shard, node] : corrupt_) {
      const auto& l = layouts_.at(chunk);
      if (l.shards[static_cast<size_t>(shard)].node == node) {
        RC_ASSERT(planner_->report_corrupt(chunk, shard, node).ok());
      }
    }
  }

  void answer(int pick, bool ok) {
    if (outstanding_.empty()) return;
    const RebuildTask t = testing::take(outstanding_, pick);
    // A target that went down meanwhile cannot succeed. A rebuild in place stores a fresh
    // shard over the bad one, whether or not the planner still wants the answer.
    const bool done = ok && !down_.count(t.to);
    if (done && t.to == t.from) corrupt_.erase({t.layout.chunk, t.shard, t.to});
    if (!planner_->task_done(t.id, done ? absl::OkStatus() : absl::UnavailableError("no")) &&
        done && t.to == t.from) {
      planner_->shard_restored(t.layout.chunk, t.shard, t.to);  // as RepairService does
    }
  }

  void deliver(int pick, bool apply) {
    if (moves_.empty()) return;
    const LayoutMove m = testing::take(moves_, pick);
    storage::ChunkLayout& l = layouts_.at(m.chunk);
    if (!apply || !testing::apply_move(l, m)) return;
    corrupt_.erase({m.chunk, m.shard, m.to});  // the rebuilt shard is fresh
    std::set<NodeId> nodes;
    for (const auto& p : l.shards) RC_ASSERT(nodes.insert(p.node).second);
    RC_ASSERT(planner_->set_layout(l).ok());
  }

  void corrupt(int chunk_pick, int shard_pick) {
    if (layouts_.empty()) return;
    auto it = layouts_.begin();
    std::advance(it, static_cast<long>(static_cast<size_t>(chunk_pick) % layouts_.size()));
    const auto& l = it->second;
    const int shard = shard_pick % l.slots();
    const NodeId node = l.shards[static_cast<size_t>(shard)].node;
    corrupt_.insert({l.chunk, shard, node});
    RC_ASSERT(planner_->report_corrupt(l.chunk, shard, node).ok());
  }

  void drain() {
    planner_->check_invariants();
    RC_ASSERT(planner_->bytes_in_flight() <= options_.total_bytes_max ||
              planner_->tasks_running() == 1);
    for (NodeId n : nodes_) {
      RC_ASSERT(planner_->bytes_in_flight(n) <= options_.node_bytes_max ||
                planner_->tasks_running(n) == 1);
      RC_ASSERT(planner_->tasks_running(n) <= options_.max_tasks_per_node);
    }
    Ready r = planner_->ready();
    for (size_t i = 1; i < r.tasks.size(); ++i) RC_ASSERT(r.tasks[i - 1].spare <= r.tasks[i].spare);
    for (const RebuildTask& t : r.tasks) {
      RC_ASSERT(!down_.count(t.to));
      const auto& l = layouts_.at(t.layout.chunk);
      // A copy comes from the partner that holds it, a move from the old node.
      if (t.copy_from != kNoNode && !t.move) {
        RC_ASSERT(l.mirrored &&
                  l.shards[static_cast<size_t>(l.partner_slot(t.shard))].node == t.copy_from);
        RC_ASSERT(t.bytes == l.shard_bytes);
      }
      for (int i = 0; i < l.slots(); ++i) {
        const NodeId n = l.shards[static_cast<size_t>(i)].node;
        RC_ASSERT(n != t.to || (i == t.shard && t.from == t.to));  // in place: its own node
      }
      // An older task for the same shard must be dead: the planner refuses its answer.
      for (size_t i = 0; i < outstanding_.size();) {
        const RebuildTask& o = outstanding_[i];
        if (o.layout.chunk == t.layout.chunk && o.shard == t.shard) {
          RC_ASSERT(!planner_->task_done(o.id, absl::UnavailableError("stale")));
          outstanding_.erase(outstanding_.begin() + static_cast<long>(i));
        } else {
          ++i;
        }
      }
      outstanding_.push_back(t);
    }
    for (const LayoutMove& m : r.moves) moves_.push_back(m);
  }

  PlannerOptions options_;
  std::shared_ptr<const placement::PlacementPolicy> policy_;
  std::vector<NodeId> faulty_;
  std::vector<NodeId> nodes_;
  std::unique_ptr<Planner> planner_;
  std::map<cas::Digest, storage::ChunkLayout> layouts_;
  std::set<NodeId> down_;
  std::set<std::tuple<cas::Digest, int, NodeId>> corrupt_;
  std::vector<RebuildTask> outstanding_;
  std::vector<LayoutMove> moves_;
  std::set<cas::Digest> repairable_;
};

rc::Gen<Step> gen_step() {
  return rc::gen::build<Step>(
      rc::gen::set(&Step::act, rc::gen::weightedElement<Act>({{6, Act::kTick},
                                                              {2, Act::kDown},
                                                              {1, Act::kUp},
                                                              {4, Act::kSucceed},
                                                              {1, Act::kFail},
                                                              {3, Act::kCommit},
                                                              {1, Act::kLoseCommit},
                                                              {1, Act::kCorrupt},
                                                              {1, Act::kNewLeader}})),
      rc::gen::set(&Step::a, rc::gen::inRange(0, 1000)),
      rc::gen::set(&Step::b, rc::gen::inRange(0, 1000)));
}

RC_GTEST_PROP(PlannerProperty, SafeUnderFaultsAndWholeOnceTheyStop, ()) {
  const int zones = *rc::gen::inRange(1, 5);
  const int per_zone = *rc::gen::inRange(zones == 1 ? 3 : 2, 5);
  const int nodes = zones * per_zone;
  auto policy = testing::balanced_policy(zones, per_zone);
  const int width_max = *rc::gen::inRange(2, std::min(nodes - 1, 8) + 1);
  const uint64_t unit = storage::erasure_shard_bytes(2, 4096) * 2;
  PlannerOptions o;
  o.grace_ticks = *rc::gen::inRange(0, 6);
  o.retry_ticks = *rc::gen::inRange(1, 4);
  o.task_timeout_ticks = *rc::gen::inRange(3, 20);
  o.commit_timeout_ticks = *rc::gen::inRange(3, 20);
  o.node_bytes_max = unit * *rc::gen::inRange<uint64_t>(1, 4);
  o.total_bytes_max = unit * *rc::gen::inRange<uint64_t>(1, 10);
  o.max_tasks_per_node = *rc::gen::inRange<size_t>(1, 4);
  // Nodes that may fail: as many as can be lost with every stripe still able to heal,
  // keeping one node spare to move a corrupt shard to.
  std::vector<NodeId> faulty;
  for (int i = 0; i < nodes - width_max - 1; ++i) {
    faulty.push_back(policy->topology().node(static_cast<uint32_t>(i)).id);
  }
  World world(o, policy, faulty);
  const int chunks = *rc::gen::inRange(1, 16);
  for (int c = 0; c < chunks; ++c) {
    // Mirrored stripes (two slots per shard) where the width allows k + m >= 2 pairs.
    const bool mirrored = width_max >= 4 && *rc::gen::arbitrary<bool>();
    const int width = mirrored ? width_max / 2 : width_max;
    const int k = *rc::gen::inRange(1, width);
    const int m = *rc::gen::inRange(1, width - k + 1);
    const uint64_t bytes = *rc::gen::inRange<uint64_t>(1, 3 * 4096);
    world.add(mirrored ? testing::mirrored_layout(*policy, c, k, m, bytes)
                       : testing::placed_layout(*policy, c, k, m, bytes));
  }
  const auto steps = *rc::gen::container<std::vector<Step>>(gen_step());
  for (const Step& s : steps) world.step(s);
  world.freeze_repairable();
  world.settle(4000);
  RC_TAG(world.repairable(), " repairable stripes");
  if (!world.whole()) RC_FAIL(world.dump());
}

}  // namespace
}  // namespace cairn::repair
