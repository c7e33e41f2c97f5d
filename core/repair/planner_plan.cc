// The repair planner's planning pass: which lost shards to rebuild now, and where.
#include <algorithm>
#include <functional>
#include <tuple>

#include "core/base/assert.h"
#include "core/placement/mirror.h"
#include "core/repair/planner.h"

namespace cairn::repair {

bool Planner::fits(uint64_t in_flight, uint64_t bytes, uint64_t max) const {
  return in_flight == 0 || in_flight + bytes <= max;
}

// Every lost shard without a task, most-damaged stripe first. Stripes found whole leave
// damaged_ on the way (see plan()).
std::vector<Planner::Work> Planner::work() const {
  std::vector<Work> out;
  for (const cas::Digest& chunk : damaged_) {
    const Stripe& s = stripes_.at(chunk);
    const int spare = intact(s) - s.layout.data_shards;
    if (spare < 0) continue;  // fewer than k intact: nothing to rebuild from
    for (int i = 0; i < s.layout.slots(); ++i) {
      if (!lost(s, i) || by_shard_.count({chunk, i}) != 0) continue;
      // Both copies lost: the even slot is rebuilt first, the odd one then copied from it.
      const int partner = s.layout.partner_slot(i);
      if (partner >= 0 && i % 2 == 1 && lost(s, partner)) continue;
      auto r = retry_.find({chunk, i});
      if (r != retry_.end() && r->second.not_before > now_) continue;
      out.push_back({spare, chunk, i});
    }
  }
  std::sort(out.begin(), out.end(), [](const Work& a, const Work& b) {
    return std::tie(a.spare, a.chunk, a.shard) < std::tie(b.spare, b.chunk, b.shard);
  });
  return out;
}

void Planner::plan() {
  // Forget stripes with nothing lost; report those past saving once.
  for (auto it = damaged_.begin(); it != damaged_.end();) {
    auto s = stripes_.find(*it);
    if (s == stripes_.end()) {
      it = damaged_.erase(it);
      continue;
    }
    Stripe& stripe = s->second;
    const int n = stripe.layout.slots();
    int lost_count = 0;
    for (int i = 0; i < n; ++i) lost_count += lost(stripe, i) ? 1 : 0;
    bool tasks = false;
    for (int i = 0; i < n && !tasks; ++i) tasks = by_shard_.count({*it, i}) != 0;
    if (intact(stripe) < stripe.layout.data_shards && !stripe.reported_unrecoverable) {
      stripe.reported_unrecoverable = true;
      out_.unrecoverable.push_back(*it);
    }
    it = (lost_count == 0 && !tasks) ? damaged_.erase(it) : std::next(it);
  }
  for (const Work& w : work()) {
    if (tasks_.size() >= options_.max_tasks_in_flight) return;
    const Stripe& s = stripes_.at(w.chunk);
    const uint64_t bytes = task_bytes(s, w.shard);
    // Waiting for the total budget holds back everything less urgent (moves included), so
    // priority holds.
    if (!fits(total_bytes_, bytes, options_.total_bytes_max)) return;
    const NodeId to = pick_target(s, w.shard, bytes);
    if (to == kNoNode) continue;  // no node free for it now; try again later
    start(s, w, to, bytes, false);
  }
  plan_moves();
}

bool Planner::fits_node(NodeId node, uint64_t bytes) const {
  return fits(bytes_in_flight(node), bytes, options_.node_bytes_max) &&
         tasks_running(node) < options_.max_tasks_per_node;
}

NodeId Planner::pick_target(const Stripe& s, int shard, uint64_t bytes) const {
  // A shard lost on a node that is up (corrupt or missing there) goes back in place,
  // unless a rebuild there failed before or the placement no longer holds the node (it
  // drains); budgets apply as anywhere.
  const NodeId from = s.layout.shards[static_cast<size_t>(shard)].node;
  if (down_.count(from) == 0 && zone_.count(from) != 0) {
    auto r = retry_.find({s.layout.chunk, shard});
    const bool failed_there =
        r != retry_.end() && std::find(r->second.excluded.begin(), r->second.excluded.end(),
                                       from) != r->second.excluded.end();
    if (!failed_there) return fits_node(from, bytes) ? from : kNoNode;
  }
  if (copyable(s, shard)) return pick_partner(s, shard, bytes);
  // Nodes where this shard's rebuild failed before are avoided while others remain.
  const NodeId to = pick_target(s, shard, bytes, true);
  return to != kNoNode ? to : pick_target(s, shard, bytes, false);
}

std::function<bool(NodeId)> Planner::free_for(const Stripe& s, int slot, bool avoid_failed) const {
  std::set<NodeId> taken;
  for (int i = 0; i < s.layout.slots(); ++i) {
    taken.insert(s.layout.shards[static_cast<size_t>(i)].node);
    if (auto t = by_shard_.find({s.layout.chunk, i}); t != by_shard_.end()) {
      taken.insert(tasks_.at(t->second).to);
    }
  }
  std::vector<NodeId> excluded;
  if (auto r = retry_.find({s.layout.chunk, slot}); avoid_failed && r != retry_.end()) {
    excluded = r->second.excluded;
  }
  return [this, taken = std::move(taken), excluded = std::move(excluded)](NodeId node) {
    return taken.count(node) == 0 && down_.count(node) == 0 && zone_.count(node) != 0 &&
           std::find(excluded.begin(), excluded.end(), node) == excluded.end();
  };
}

NodeId Planner::pick_partner(const Stripe& s, int slot, uint64_t bytes) const {
  // Nodes where this copy failed before are avoided while others remain.
  const NodeId to = pick_partner(s, slot, bytes, true);
  return to != kNoNode ? to : pick_partner(s, slot, bytes, false);
}

NodeId Planner::pick_partner(const Stripe& s, int slot, uint64_t bytes, bool avoid_failed) const {
  const NodeId partner = s.layout.shards[static_cast<size_t>(s.layout.partner_slot(slot))].node;
  const auto candidate = free_for(s, slot, avoid_failed);
  // The partner's pair over the current members, when the pairs were formed again.
  if (const auto* pairs = dynamic_cast<const placement::MirrorPairs*>(mirror_.get())) {
    if (auto mate = pairs->partner(partner); mate && candidate(*mate)) {
      return fits_node(*mate, bytes) ? *mate : kNoNode;
    }
  }
  // Otherwise one node for every stripe of this partner that it holds no shard of: the
  // first free in the partner's own order, in another zone first. A node held back by its
  // budget is waited for.
  auto order = placement_->place(placement::mix64(partner), placement_->max_count());
  if (!order.ok()) return kNoNode;
  const int zone = zone_.count(partner) != 0 ? zone_.at(partner) : -1;
  for (int pass = 0; pass < 2; ++pass) {
    for (NodeId node : *order) {
      if (!candidate(node) || (pass == 0 && zone_.at(node) == zone)) continue;
      return fits_node(node, bytes) ? node : kNoNode;
    }
  }
  return kNoNode;
}

NodeId Planner::pick_target(const Stripe& s, int shard, uint64_t bytes, bool avoid_failed) const {
  std::set<int> zones;  // of the stripe's intact shards and of its tasks' targets
  for (int i = 0; i < s.layout.slots(); ++i) {
    const NodeId node = s.layout.shards[static_cast<size_t>(i)].node;
    if (!lost(s, i) && zone_.count(node) != 0) zones.insert(zone_.at(node));
    if (auto t = by_shard_.find({s.layout.chunk, i}); t != by_shard_.end()) {
      const NodeId target = tasks_.at(t->second).to;
      if (zone_.count(target) != 0) zones.insert(zone_.at(target));
    }
  }
  const auto candidate = free_for(s, shard, avoid_failed);
  auto order = placement_->place(s.layout.chunk.prefix64(), placement_->max_count());
  if (!order.ok()) return kNoNode;
  // First a node in a zone the stripe does not use yet, then any candidate. A node held
  // back only by its budget is not passed over for a less diverse one: wait for it.
  bool diverse_exists = false;
  for (NodeId node : *order) {
    if (!candidate(node) || zones.count(zone_.at(node)) != 0) continue;
    diverse_exists = true;
    if (fits_node(node, bytes)) return node;
  }
  if (diverse_exists) return kNoNode;
  for (NodeId node : *order) {
    if (candidate(node) && fits_node(node, bytes)) return node;
  }
  return kNoNode;
}

void Planner::start(const Stripe& s, const Work& w, NodeId to, uint64_t bytes, bool move) {
  const uint64_t id = next_task_++;
  Task t;
  t.chunk = w.chunk;
  t.shard = w.shard;
  t.from = s.layout.shards[static_cast<size_t>(w.shard)].node;
  t.to = to;
  t.bytes = bytes;
  t.deadline = now_ + static_cast<uint64_t>(options_.task_timeout_ticks);
  t.move = move;
  const NodeId copy_from =
      move ? t.from
      : copyable(s, w.shard)
          ? s.layout.shards[static_cast<size_t>(s.layout.partner_slot(w.shard))].node
          : kNoNode;
  tasks_.emplace(id, t);
  by_shard_[{w.chunk, w.shard}] = id;
  node_bytes_[to] += bytes;
  total_bytes_ += bytes;
  if (move) move_bytes_ += bytes;
  out_.tasks.push_back({id, s.layout, w.shard, t.from, to, bytes, w.spare, move, copy_from});
}

void Planner::check_invariants() const {
  uint64_t total = 0;
  uint64_t moving = 0;
  int moves_running = 0;
  std::map<NodeId, uint64_t> per_node;
  std::map<NodeId, int> running_on;
  std::map<NodeId, size_t> moves_from;
  int running = 0;
  for (const auto& [id, t] : tasks_) {
    CAIRN_ASSERT(id < next_task_);
    auto b = by_shard_.find({t.chunk, t.shard});
    CAIRN_ASSERT(b != by_shard_.end() && b->second == id);
    const Stripe& s = stripes_.at(t.chunk);
    CAIRN_ASSERT(t.shard >= 0 && t.shard < s.layout.slots());
    if (t.move) CAIRN_ASSERT(t.to != t.from && t.to != kNoNode);
    if (t.state != TaskState::kRunning) continue;
    if (t.move) moving += t.bytes, ++moves_running, ++moves_from[t.from];
    total += t.bytes;
    per_node[t.to] += t.bytes;
    ++running_on[t.to];
    ++running;
  }
  CAIRN_ASSERT(by_shard_.size() == tasks_.size());
  CAIRN_ASSERT(total == total_bytes_);
  CAIRN_ASSERT(total <= options_.total_bytes_max || running == 1);
  CAIRN_ASSERT(moving == move_bytes_);
  for (const auto& [node, n] : moves_from) CAIRN_ASSERT(n <= options_.max_tasks_per_node);
  CAIRN_ASSERT(moving <= options_.move_bytes_max || moves_running == 1);
  for (const auto& [key, to] : wanted_) CAIRN_ASSERT(stripes_.count(key.first) != 0);
  for (const auto& [node, bytes] : per_node) {
    CAIRN_ASSERT(bytes_in_flight(node) == bytes);
    CAIRN_ASSERT(bytes <= options_.node_bytes_max || running_on.at(node) == 1);
    CAIRN_ASSERT(static_cast<size_t>(running_on.at(node)) <= options_.max_tasks_per_node);
  }
  CAIRN_ASSERT(per_node.size() == node_bytes_.size());
  CAIRN_ASSERT(tasks_.size() <= options_.max_tasks_in_flight);
  // A stripe's shards and its tasks' targets are all on distinct nodes; a rebuild in
  // place targets its own shard's node and no other.
  std::map<cas::Digest, std::set<NodeId>> targets;
  for (const auto& [id, t] : tasks_) {
    const Stripe& s = stripes_.at(t.chunk);
    for (int i = 0; i < s.layout.slots(); ++i) {
      const NodeId node = s.layout.shards[static_cast<size_t>(i)].node;
      CAIRN_ASSERT(node != t.to || (i == t.shard && t.from == t.to));
    }
    CAIRN_ASSERT(targets[t.chunk].insert(t.to).second);
  }
}

}  // namespace cairn::repair
