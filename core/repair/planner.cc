// The repair planner's inputs: layouts, liveness, corrupt reports, outcomes and ticks.
#include "core/repair/planner.h"

#include <climits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/placement/mirror.h"

namespace cairn::repair {

Planner::Planner(PlannerOptions options,
                 std::shared_ptr<const placement::PlacementPolicy> placement)
    : options_(options) {
  CAIRN_ASSERT(options_.grace_ticks >= 0);
  CAIRN_ASSERT(options_.task_timeout_ticks > 0);
  set_placement(std::move(placement));
}

void Planner::set_placement(std::shared_ptr<const placement::PlacementPolicy> placement) {
  CAIRN_ASSERT(placement != nullptr);
  if (placement_ != nullptr && placement->epoch() > placement_->epoch()) {
    before_ = placement_;
    mirror_before_ = mirror_;
  }
  placement_ = std::move(placement);
  if (!first_) first_ = placement_->topology();
  auto mirror = placement::mirror_over(*first_, placement_->topology());
  mirror_ = mirror.ok() ? *mirror : nullptr;
  zone_.clear();
  const auto& topo = placement_->topology();
  for (uint32_t i = 0; i < topo.size(); ++i) zone_[topo.node(i).id] = topo.zone_of(i);
  for (const auto& [chunk, s] : stripes_) want_moves(s);
}

size_t Planner::stripes_on(NodeId node) const {
  auto it = by_node_.find(node);
  return it == by_node_.end() ? 0 : it->second.size();
}

bool Planner::lost(const Stripe& s, int shard) const {
  return s.corrupt.count(shard) != 0 || dead(s.layout.shards[static_cast<size_t>(shard)].node);
}

int Planner::intact(const Stripe& s) const {
  int n = 0;
  for (int i = 0; i < s.layout.total_shards(); ++i) {
    bool any = false;
    for (int c = 0; c < s.layout.copies() && !any; ++c) any = !lost(s, i * s.layout.copies() + c);
    n += any ? 1 : 0;
  }
  return n;
}

bool Planner::copyable(const Stripe& s, int slot) const {
  const int partner = s.layout.partner_slot(slot);
  return partner >= 0 && !lost(s, partner);
}

uint64_t Planner::task_bytes(const Stripe& s, int slot) const {
  const auto k = static_cast<uint64_t>(copyable(s, slot) ? 1 : s.layout.data_shards);
  return s.layout.shard_bytes * k;
}

bool Planner::dead(NodeId node) const {
  auto it = down_.find(node);
  return it != down_.end() && it->second.dead;
}

uint64_t Planner::bytes_in_flight(NodeId node) const {
  auto it = node_bytes_.find(node);
  return it == node_bytes_.end() ? 0 : it->second;
}

size_t Planner::tasks_running() const {
  size_t n = 0;
  for (const auto& [id, t] : tasks_) n += t.state == TaskState::kRunning ? 1 : 0;
  return n;
}

size_t Planner::tasks_running(NodeId node) const {
  size_t n = 0;
  for (const auto& [id, t] : tasks_) n += t.state == TaskState::kRunning && t.to == node ? 1 : 0;
  return n;
}

const storage::ChunkLayout* Planner::layout(const cas::Digest& chunk) const {
  auto it = stripes_.find(chunk);
  return it == stripes_.end() ? nullptr : &it->second.layout;
}

std::vector<int> Planner::lost_shards(const cas::Digest& chunk) const {
  std::vector<int> out;
  auto it = stripes_.find(chunk);
  if (it == stripes_.end()) return out;
  for (int i = 0; i < it->second.layout.slots(); ++i) {
    if (lost(it->second, i)) out.push_back(i);
  }
  return out;
}

size_t Planner::lost_shards() const {
  size_t n = 0;
  for (const cas::Digest& chunk : damaged_) n += lost_shards(chunk).size();
  return n;
}

size_t Planner::damaged_stripes() const {
  size_t n = 0;
  for (const cas::Digest& chunk : damaged_) n += lost_shards(chunk).empty() ? 0 : 1;
  return n;
}

void Planner::index(const storage::ChunkLayout& layout, bool add) {
  for (const auto& place : layout.shards) {
    if (add) {
      by_node_[place.node].insert(layout.chunk);
    } else if (auto it = by_node_.find(place.node); it != by_node_.end()) {
      it->second.erase(layout.chunk);
      if (it->second.empty()) by_node_.erase(it);
    }
  }
}

absl::Status Planner::set_layout(const storage::ChunkLayout& layout) {
  if (auto st = storage::validate(layout); !st.ok()) return st;
  auto [it, fresh] = stripes_.try_emplace(layout.chunk);
  Stripe& s = it->second;
  if (fresh) s.since = now_;
  if (!fresh) {
    const bool same_code = s.layout.slots() == layout.slots();
    for (int i = 0; i < layout.slots(); ++i) {
      const auto at = static_cast<size_t>(i);
      const bool changed = !same_code || s.layout.shards[at].node != layout.shards[at].node ||
                           s.layout.shards[at].digest != layout.shards[at].digest;
      if (!changed) continue;
      s.corrupt.erase(i);
      retry_.erase({layout.chunk, i});
      auto t = by_shard_.find({layout.chunk, i});
      if (t == by_shard_.end()) continue;
      const Task& task = tasks_.at(t->second);
      if (same_code && task.to == layout.shards[at].node) {
        out_.repaired.push_back({layout.chunk, i, task.to, layout.shard_bytes, task.move});
      }
      drop_task(t->second);
    }
    index(s.layout, false);
  }
  s.layout = layout;
  s.reported_unrecoverable = false;
  index(s.layout, true);
  // A task aimed at a node the new layout already uses would put two shards there (a
  // rebuild in place aims at its own shard's node, which the layout still names).
  for (int i = 0; i < layout.slots(); ++i) {
    auto t = by_shard_.find({layout.chunk, i});
    if (t == by_shard_.end()) continue;
    const NodeId to = tasks_.at(t->second).to;
    for (int j = 0; j < layout.slots(); ++j) {
      if (j == i && tasks_.at(t->second).from == to) continue;
      if (layout.shards[static_cast<size_t>(j)].node == to) {
        drop_task(t->second);
        break;
      }
    }
  }
  damaged_.insert(layout.chunk);
  want_moves(s);
  return absl::OkStatus();
}

void Planner::drop_chunk(const cas::Digest& chunk) {
  auto it = stripes_.find(chunk);
  if (it == stripes_.end()) return;
  for (int i = 0; i < it->second.layout.slots(); ++i) {
    if (auto t = by_shard_.find({chunk, i}); t != by_shard_.end()) drop_task(t->second);
    retry_.erase({chunk, i});
  }
  index(it->second.layout, false);
  damaged_.erase(chunk);
  wanted_.erase(wanted_.lower_bound({chunk, 0}), wanted_.lower_bound({chunk, INT_MAX}));
  stripes_.erase(it);
}

void Planner::node_down(NodeId node, uint64_t down_for_ticks) {
  if (down_.count(node) != 0) return;
  down_[node] = NodeState{static_cast<int64_t>(now_) - static_cast<int64_t>(down_for_ticks), false};
  // A rebuild running on a node that went down will not answer: try elsewhere now.
  std::vector<uint64_t> failed;
  for (const auto& [id, task] : tasks_) {
    if (task.state == TaskState::kRunning && task.to == node) failed.push_back(id);
  }
  for (uint64_t id : failed) fail_task(id);
}

void Planner::node_up(NodeId node) {
  auto it = down_.find(node);
  if (it == down_.end()) return;
  const bool was_dead = it->second.dead;
  down_.erase(it);
  // Its shards count again (tasks already running for them still finish and commit).
  if (was_dead) {
    if (auto c = by_node_.find(node); c != by_node_.end()) {
      damaged_.insert(c->second.begin(), c->second.end());
    }
  }
}

absl::Status Planner::report_corrupt(const cas::Digest& chunk, int shard, NodeId node) {
  auto it = stripes_.find(chunk);
  if (it == stripes_.end()) {
    return absl::NotFoundError(absl::StrCat("chunk ", chunk.format(), " has no layout"));
  }
  Stripe& s = it->second;
  if (shard < 0 || shard >= s.layout.slots() ||
      s.layout.shards[static_cast<size_t>(shard)].node != node) {
    return absl::FailedPreconditionError(absl::StrCat("chunk ", chunk.format(), " has no shard ",
                                                      shard, " on n", node, " (stale report)"));
  }
  s.corrupt.insert(shard);
  damaged_.insert(chunk);
  return absl::OkStatus();
}

bool Planner::task_done(uint64_t task, const absl::Status& status) {
  auto it = tasks_.find(task);
  if (it == tasks_.end() || it->second.state != TaskState::kRunning) return false;
  if (!status.ok()) {
    fail_task(task);
    plan();  // its budget is free for other work now, not at the next tick
    return true;
  }
  Task& t = it->second;
  if (t.to == t.from) {
    finish_in_place(task);
    plan();
    return true;
  }
  release(t);
  t.state = TaskState::kCommitting;
  t.deadline = now_ + static_cast<uint64_t>(options_.commit_timeout_ticks);
  out_.moves.push_back({task, t.chunk, t.shard, t.from, t.to});
  plan();  // the node's budget is free: its next rebuild need not wait for a tick
  return true;
}

void Planner::tick() {
  ++now_;
  for (auto& [node, state] : down_) {
    if (state.dead || static_cast<int64_t>(now_) - state.down_since <
                          static_cast<int64_t>(options_.grace_ticks)) {
      continue;
    }
    state.dead = true;
    out_.declared_dead.push_back(node);
    if (auto c = by_node_.find(node); c != by_node_.end()) {
      damaged_.insert(c->second.begin(), c->second.end());
    }
  }
  std::vector<uint64_t> expired;
  for (const auto& [id, task] : tasks_) {
    if (task.deadline <= now_) expired.push_back(id);
  }
  for (uint64_t id : expired) {
    // A running task timed out failed; a move never seen committed is planned again.
    if (tasks_.at(id).state == TaskState::kRunning) {
      fail_task(id);
    } else {
      drop_task(id);
    }
  }
  plan();
}

Ready Planner::ready() {
  Ready r = std::move(out_);
  out_ = Ready{};
  return r;
}

void Planner::drop_task(uint64_t id) {
  auto it = tasks_.find(id);
  CAIRN_ASSERT(it != tasks_.end());
  const Task& t = it->second;
  if (t.state == TaskState::kRunning) release(t);
  by_shard_.erase({t.chunk, t.shard});
  damaged_.insert(t.chunk);
  tasks_.erase(it);
}

void Planner::release(const Task& t) {
  CAIRN_ASSERT(node_bytes_[t.to] >= t.bytes && total_bytes_ >= t.bytes);
  node_bytes_[t.to] -= t.bytes;
  total_bytes_ -= t.bytes;
  if (node_bytes_[t.to] == 0) node_bytes_.erase(t.to);
  if (t.move) {
    CAIRN_ASSERT(move_bytes_ >= t.bytes);
    move_bytes_ -= t.bytes;
  }
}

void Planner::shard_restored(const cas::Digest& chunk, int shard, NodeId node) {
  auto it = stripes_.find(chunk);
  if (it == stripes_.end() || shard < 0 || shard >= it->second.layout.slots()) return;
  Stripe& s = it->second;
  if (s.layout.shards[static_cast<size_t>(shard)].node != node || s.corrupt.erase(shard) == 0) {
    return;
  }
  if (auto t = by_shard_.find({chunk, shard}); t != by_shard_.end()) drop_task(t->second);
  retry_.erase({chunk, shard});
  damaged_.insert(chunk);
  out_.repaired.push_back({chunk, shard, node, s.layout.shard_bytes});
}

// A shard rebuilt on the node that had lost it: whole again, with nothing to commit.
void Planner::finish_in_place(uint64_t id) {
  const Task t = tasks_.at(id);
  drop_task(id);
  auto s = stripes_.find(t.chunk);
  CAIRN_ASSERT(s != stripes_.end());
  s->second.corrupt.erase(t.shard);
  retry_.erase({t.chunk, t.shard});
  out_.repaired.push_back({t.chunk, t.shard, t.to, s->second.layout.shard_bytes});
}

AuditBatch Planner::shards_on(NodeId node, const std::optional<cas::Digest>& after, size_t max,
                              uint64_t min_age_ticks) const {
  AuditBatch out;
  auto chunks = by_node_.find(node);
  if (chunks == by_node_.end() || max == 0) return out;
  auto it = after ? chunks->second.upper_bound(*after) : chunks->second.begin();
  for (; it != chunks->second.end() && out.shards.size() < max; ++it) {
    const Stripe& s = stripes_.at(*it);
    out.next_after = *it;
    if (now_ - s.since < min_age_ticks) continue;
    for (int i = 0; i < s.layout.slots(); ++i) {
      const auto& place = s.layout.shards[static_cast<size_t>(i)];
      if (place.node != node || lost(s, i) || by_shard_.count({*it, i}) != 0) continue;
      out.shards.push_back({*it, i, place.digest});
    }
  }
  if (it == chunks->second.end()) out.next_after.reset();
  return out;
}

void Planner::fail_task(uint64_t id) {
  const Task t = tasks_.at(id);
  drop_task(id);
  Retry& r = retry_[{t.chunk, t.shard}];
  r.not_before = now_ + static_cast<uint64_t>(options_.retry_ticks);
  r.excluded.push_back(t.to);
  if (r.excluded.size() > options_.excluded_targets_max) r.excluded.erase(r.excluded.begin());
}

}  // namespace cairn::repair
