// The repair planner's moves: the shards a placement change asks to move, and when.
#include <algorithm>
#include <climits>
#include <map>

#include "core/repair/planner.h"

namespace cairn::repair {
namespace {

bool contains(const std::vector<NodeId>& v, NodeId id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}

}  // namespace

void Planner::want_moves(const Stripe& s) {
  const cas::Digest& chunk = s.layout.chunk;
  wanted_.erase(wanted_.lower_bound({chunk, 0}), wanted_.lower_bound({chunk, INT_MAX}));
  const int n = s.layout.slots();
  const uint64_t key = chunk.prefix64();
  // A mirrored stripe follows the mirror pairs over the same members.
  const auto& now = s.layout.mirrored ? mirror_ : placement_;
  const auto& then = s.layout.mirrored ? mirror_before_ : before_;
  if (now == nullptr) return;
  auto target = now->place(key, n);
  if (!target.ok()) return;  // fewer nodes than shards: nothing better to move to
  std::vector<NodeId> before;
  if (then != nullptr) {
    if (auto b = then->place(key, n); b.ok()) before = std::move(*b);
  }
  std::vector<NodeId> nodes;
  for (const auto& place : s.layout.shards) nodes.push_back(place.node);
  std::vector<placement::ShardMove> moves;
  placement::reassign(key, nodes, *target, moves);
  for (const placement::ShardMove& m : moves) {
    // Only what the change asks for: a shard a repair put off the old placement stays.
    if (contains(before, m.from) || zone_.count(m.from) == 0) wanted_[{chunk, m.shard}] = m.to;
  }
}

void Planner::plan_moves() {
  // Moves read from their old node (a copy): at most max_tasks_per_node from one node.
  std::map<NodeId, size_t> reading;
  for (const auto& [id, t] : tasks_) {
    if (t.move && t.state == TaskState::kRunning) ++reading[t.from];
  }
  for (const auto& [key, to] : wanted_) {
    if (tasks_.size() >= options_.max_tasks_in_flight) return;
    if (by_shard_.count(key) != 0) continue;
    const Stripe& s = stripes_.at(key.first);
    const int n = s.layout.slots();
    bool whole = true;
    for (int i = 0; i < n && whole; ++i) whole = !lost(s, i);
    if (!whole) continue;  // repair first
    if (auto r = retry_.find(key); r != retry_.end() && r->second.not_before > now_) continue;
    const uint64_t bytes = s.layout.shard_bytes * static_cast<uint64_t>(s.layout.data_shards);
    if (!fits(move_bytes_, bytes, options_.move_bytes_max) ||
        !fits(total_bytes_, bytes, options_.total_bytes_max)) {
      return;
    }
    const NodeId from = s.layout.shards[static_cast<size_t>(key.second)].node;
    if (down_.count(to) != 0 || !fits_node(to, bytes)) continue;
    if (reading[from] >= options_.max_tasks_per_node) continue;
    bool taken = false;
    for (int i = 0; i < n && !taken; ++i) {
      taken = s.layout.shards[static_cast<size_t>(i)].node == to;
      if (auto t = by_shard_.find({key.first, i}); !taken && t != by_shard_.end()) {
        taken = tasks_.at(t->second).to == to;
      }
    }
    if (taken) continue;
    start(s, Work{intact(s) - s.layout.data_shards, key.first, key.second}, to, bytes, true);
    ++reading[from];
  }
}

}  // namespace cairn::repair
