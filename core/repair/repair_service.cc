#include "core/repair/repair_service.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/membership/membership.h"
#include "core/meta/namespace_service.h"
#include "core/raft/mux_state_machine.h"
#include "core/repair/registry_placement.h"
#include "core/storage/chunk_wire.h"
#include "core/storage/placement_listener.h"
#include "core/storage/storage_codec.h"
#include "core/wire/message_types.h"

namespace cairn::repair {
namespace {

std::string short_name(const cas::Digest& d) { return d.format().substr(7, 16); }

}  // namespace

RepairService::RepairService(Runtime& rt, raft::RaftService& raft,
                             const meta::NamespaceStateMachine& ns,
                             storage::RebuildClient& rebuilds,
                             const membership::Membership* detector,
                             std::shared_ptr<const placement::PlacementPolicy> placement,
                             RepairOptions options)
    : rt_(rt),
      raft_(raft),
      ns_(ns),
      rebuilds_(rebuilds),
      detector_(detector),
      placement_(std::move(placement)),
      options_(options) {
  const auto& topo = placement_->topology();
  for (uint32_t i = 0; i < topo.size(); ++i) nodes_.push_back(topo.node(i).id);
  std::sort(nodes_.begin(), nodes_.end());
}

RepairService::~RepairService() { rt_.cancel(timer_); }

void RepairService::start() {
  timer_ = rt_.after(options_.tick_interval, [this, token = std::weak_ptr<bool>(alive_)] {
    if (token.expired()) return;
    tick();
    start();
  });
}

void RepairService::check_invariants() const {
  if (planner_) planner_->check_invariants();
}

void RepairService::tick() {
  watch_deaths();
  if (!raft_.is_leader()) {
    planner_.reset();
    seen_.clear();
    synced_index_.reset();
    audits_.clear();
    registry_epoch_.reset();
    drained_.clear();
    pushed_.reset();
    export_gauges();
    return;
  }
  if (!planner_) {
    planner_ = std::make_unique<Planner>(options_.planner, placement_);
    ++generation_;
  }
  sync_layouts();
  sync_placement();
  // Again now and then, for a storage node that restarted (or missed it).
  if (pushed_ != nullptr && ++ticks_since_push_ >= options_.placement_push_every) push_placement();
  sync_liveness();
  planner_->tick();
  drain();
  check_drains();
  audit();
  export_gauges();
}

void RepairService::sync_placement() {
  if (registry_epoch_ == ns_.epoch()) return;
  registry_epoch_ = ns_.epoch();
  const auto& registry = ns_.registry().nodes();
  draining_.clear();
  for (const auto& [id, n] : registry) {
    if (n.state() == meta::wire::NODE_DRAINING) draining_.insert(id);
    if (!std::binary_search(nodes_.begin(), nodes_.end(), id)) {
      nodes_.insert(std::upper_bound(nodes_.begin(), nodes_.end(), id), id);
    }
  }
  if (registry.empty()) return;  // the configured members, as the planner started with
  auto policy = registry_placement(placement_, registry, ns_.epoch());
  if (!policy.ok()) {
    rt_.log().event(Event{"placement_change", {{"error", policy.status().ToString()}}});
    return;  // the planner keeps the policy it has
  }
  planner_->set_placement(*policy);
  pushed_ = *policy;
  push_placement();
  rt_.log().event(Event{"placement_change",
                        {{"epoch", static_cast<int64_t>((*policy)->epoch())},
                         {"nodes", static_cast<int64_t>((*policy)->topology().size())}}});
}

void RepairService::push_placement() {
  if (pushed_ == nullptr) return;
  ticks_since_push_ = 0;
  Message m;
  m.type = cairn::wire::kPlacementUpdate;
  storage::placement_update(*pushed_).SerializeToString(&m.header);
  for (NodeId id : nodes_) rt_.send(id, m);
}

void RepairService::check_drains() {
  for (NodeId id : draining_) {
    if (planner_->stripes_on(id) != 0 || !drained_.insert(id).second) continue;
    rt_.metrics().counter("repair_drains_done").add();
    rt_.log().event(Event{"drain_done", {{"node", static_cast<int64_t>(id)}}});
  }
}

void RepairService::export_gauges() {
  const bool leads = planner_ != nullptr;
  auto set = [this](const char* name, size_t v) {
    rt_.metrics().gauge(name).set(static_cast<double>(v));
  };
  set("repair_leading", leads ? 1 : 0);
  set("repair_lost_shards", leads ? planner_->lost_shards() : 0);
  set("repair_damaged_stripes", leads ? planner_->damaged_stripes() : 0);
  set("repair_tasks", leads ? planner_->tasks_in_flight() : 0);
  set("repair_bytes_in_flight", leads ? planner_->bytes_in_flight() : 0);
  set("repair_moves_pending", leads ? planner_->moves_pending() : 0);
  set("repair_move_bytes_in_flight", leads ? planner_->move_bytes_in_flight() : 0);
  size_t draining = 0;
  for (NodeId id : draining_) draining += leads ? planner_->stripes_on(id) : 0;
  set("repair_draining_stripes", draining);
}

void RepairService::sync_layouts() {
  // Reading the whole table costs O(chunks): do it only when an entry was applied since.
  if (synced_index_ == ns_.applied_index()) return;
  synced_index_ = ns_.applied_index();
  std::set<cas::Digest> present;
  ns_.chunk_table().each([&](const storage::wire::Layout& wire) {
    auto layout = storage::from_wire(wire);
    if (!layout.ok()) return;  // the table holds only valid layouts (check_manifest)
    present.insert(layout->chunk);
    std::string bytes = wire.SerializeAsString();
    auto it = seen_.find(layout->chunk);
    if (it != seen_.end() && it->second == bytes) return;
    if (planner_->set_layout(*layout).ok()) seen_[layout->chunk] = std::move(bytes);
  });
  for (auto it = seen_.begin(); it != seen_.end();) {
    if (present.count(it->first) != 0) {
      ++it;
      continue;
    }
    planner_->drop_chunk(it->first);
    it = seen_.erase(it);
  }
}

void RepairService::watch_deaths() {
  if (detector_ == nullptr) return;
  std::map<NodeId, Time> dead;  // members held dead now, each since it first was
  for (NodeId id : detector_->table().members()) {
    if (id == rt_.self() || detector_->table().get(id).state != membership::State::kDead) continue;
    auto seen = dead_since_.find(id);
    dead[id] = seen == dead_since_.end() ? rt_.now() : seen->second;
  }
  dead_since_ = std::move(dead);
}

void RepairService::sync_liveness() {
  if (detector_ == nullptr) return;
  for (NodeId id : nodes_) {
    if (id == rt_.self()) continue;  // a node never holds itself dead
    const auto& members = detector_->table().members();
    if (!std::binary_search(members.begin(), members.end(), id)) continue;
    if (detector_->table().get(id).state == membership::State::kDead) {
      // Down since this node's detector first held it dead (perhaps before it led).
      auto seen = dead_since_.find(id);
      const Duration down_for = seen == dead_since_.end() ? Duration(0) : rt_.now() - seen->second;
      planner_->node_down(id, static_cast<uint64_t>(down_for / options_.tick_interval));
    } else if (detector_->table().get(id).state == membership::State::kAlive) {
      planner_->node_up(id);
    }
  }
}

void RepairService::drain() {
  Ready r = planner_->ready();
  for (NodeId n : r.declared_dead) {
    rt_.log().event(Event{"repair_dead", {{"node", static_cast<int64_t>(n)}}});
  }
  for (const cas::Digest& d : r.unrecoverable) {
    rt_.log().event(Event{"repair_unrecoverable", {{"chunk", short_name(d)}}});
  }
  for (const RebuildTask& t : r.tasks) send(t);
  for (const LayoutMove& m : r.moves) propose(m);
  for (const Repaired& done : r.repaired) {
    rt_.metrics().counter(done.move ? "repair_moves_done" : "repair_shards_done").add();
    rt_.metrics()
        .counter(done.move ? "repair_move_bytes_done" : "repair_bytes_done")
        .add(static_cast<int64_t>(done.bytes));
    rt_.log().event(Event{done.move ? "move_done" : "repair_done",
                          {{"chunk", short_name(done.chunk)},
                           {"shard", static_cast<int64_t>(done.shard)},
                           {"to", static_cast<int64_t>(done.to)},
                           {"bytes", static_cast<int64_t>(done.bytes)}}});
  }
}

void RepairService::send(const RebuildTask& t) {
  if (t.move) rt_.metrics().counter("repair_moves_started").add();
  Event started{t.move ? "move_start" : "repair_start",
                {{"chunk", short_name(t.layout.chunk)},
                 {"shard", static_cast<int64_t>(t.shard)},
                 {"from", static_cast<int64_t>(t.from)},
                 {"to", static_cast<int64_t>(t.to)},
                 {"bytes", static_cast<int64_t>(t.bytes)},
                 {"spare", static_cast<int64_t>(t.spare)}}};
  if (!t.move && t.copy_from != kNoNode) {  // a mirrored shard copied from its partner
    started.fields.push_back({"copy_from", static_cast<int64_t>(t.copy_from)});
  }
  rt_.log().event(std::move(started));
  // A move copies from its source; a repair's source is lost, and rebuilds from survivors.
  const NodeId source = t.move && t.from != t.to ? t.from : kNoNode;
  if (transfers_) {
    transfers_(t.to, true, 0);
    if (source != kNoNode) transfers_(source, true, 0);
  }
  rebuilds_.rebuild(
      t.to, t.layout, {t.shard},
      [this, id = t.id, to = t.to, in_place = t.to == t.from, chunk = t.layout.chunk,
       shard = t.shard, source, bytes = t.bytes, gen = generation_,
       token = std::weak_ptr<bool>(alive_)](absl::Status st) {
        if (token.expired()) return;
        if (transfers_) {
          transfers_(to, false, st.ok() ? bytes : 0);
          if (source != kNoNode) transfers_(source, false, st.ok() ? bytes : 0);
        }
        if (!planner_ || gen != generation_) return;
        if (!st.ok()) {
          rt_.log().event(Event{"repair_failed",
                                {{"to", static_cast<int64_t>(to)}, {"status", st.ToString()}}});
        }
        // A late success in place still put the shard back where the layout has it.
        if (!planner_->task_done(id, st) && st.ok() && in_place) {
          planner_->shard_restored(chunk, shard, to);
        }
        drain();
      },
      // A move's old copy is still in place, and a mirrored shard's partner holds it: copy
      // it rather than rebuild.
      t.copy_from != kNoNode, t.move ? kNoNode : t.copy_from);
}

void RepairService::audit() {
  if (options_.audit_batch == 0) return;
  for (NodeId id : nodes_) {
    Audit& a = audits_[id];
    bool up = !planner_->dead(id);
    uint64_t incarnation = a.incarnation;
    if (detector_ != nullptr && id != rt_.self()) {
      const auto& members = detector_->table().members();
      if (std::binary_search(members.begin(), members.end(), id)) {
        const auto& m = detector_->table().get(id);
        up = m.state == membership::State::kAlive;
        incarnation = m.incarnation;
      }
    }
    // Back up, or restarted since last seen: its disk may be new. Audit it from the start.
    if ((up && !a.was_up) || incarnation != a.incarnation) {
      a.cursor.reset();
      a.in_pass = true;
      a.pass_shards = a.pass_missing = 0;
      ++a.pass;  // an answer in flight belongs to the pass abandoned
    }
    a.was_up = up;
    a.incarnation = incarnation;
    if (!up || a.in_flight) continue;
    if (!a.in_pass) {
      if (planner_->now_ticks() < a.next_pass) continue;
      a.in_pass = true;
      a.pass_shards = a.pass_missing = 0;
      ++a.pass;
    }
    AuditBatch batch =
        planner_->shards_on(id, a.cursor, options_.audit_batch, options_.audit_min_age);
    if (batch.shards.empty() && !batch.next_after) {  // the pass reached the end
      end_pass(id, a);
      continue;
    }
    if (batch.shards.empty()) {  // only young layouts in this stretch: move on
      a.cursor = batch.next_after;
      continue;
    }
    std::vector<cas::Digest> digests;
    digests.reserve(batch.shards.size());
    for (const PlacedShard& p : batch.shards) digests.push_back(p.digest);
    a.in_flight = true;
    a.last_batch = !batch.next_after;
    a.batch_from = a.cursor;
    a.cursor = batch.next_after;
    rebuilds_.audit(
        id, digests,
        [this, id, pass = a.pass, asked = std::move(batch.shards), gen = generation_,
         token = std::weak_ptr<bool>(alive_)](absl::StatusOr<std::vector<size_t>> missing) mutable {
          if (token.expired() || !planner_ || gen != generation_) return;
          audit_answer(id, pass, std::move(asked), std::move(missing));
        });
  }
}

void RepairService::audit_answer(NodeId node, uint64_t pass, std::vector<PlacedShard> asked,
                                 absl::StatusOr<std::vector<size_t>> missing) {
  Audit& a = audits_[node];
  a.in_flight = false;
  if (pass != a.pass) return;  // the node restarted since: its new pass started over
  if (!missing.ok()) {
    // Unreachable or still recovering: ask the same batch again on a later tick.
    a.cursor = a.batch_from;
    return;
  }
  a.pass_shards += asked.size();
  for (size_t i : *missing) {
    if (i >= asked.size()) continue;  // a malformed answer names no shard of ours
    const PlacedShard& p = asked[i];
    if (!planner_->report_corrupt(p.chunk, p.shard, node).ok()) continue;  // stale by now
    ++a.pass_missing;
    rt_.metrics().counter("repair_audit_missing").add();
    rt_.log().event(Event{"repair_missing",
                          {{"storage", static_cast<int64_t>(node)},
                           {"chunk", short_name(p.chunk)},
                           {"shard", static_cast<int64_t>(p.shard)}}});
  }
  rt_.metrics().counter("repair_audit_shards").add(static_cast<int64_t>(asked.size()));
  if (a.last_batch) end_pass(node, a);
}

void RepairService::end_pass(NodeId node, Audit& a) {
  rt_.metrics().counter("repair_audit_passes").add();
  rt_.log().event(Event{"repair_audit_pass",
                        {{"storage", static_cast<int64_t>(node)},
                         {"shards", static_cast<int64_t>(a.pass_shards)},
                         {"missing", static_cast<int64_t>(a.pass_missing)}}});
  a.cursor.reset();
  a.in_pass = false;
  a.next_pass = planner_->now_ticks() + options_.audit_interval;
}

void RepairService::propose(const LayoutMove& m) {
  meta::wire::NsCommand c;
  meta::wire::MoveShard* mv = c.mutable_move_shard();
  storage::digest_to(m.chunk, mv->mutable_chunk());
  mv->set_shard(static_cast<uint32_t>(m.shard));
  mv->set_from(m.from);
  mv->set_to(m.to);
  // The outcome needs no answer: the next tick reads the applied layout (or, if the
  // proposal was lost, the planner's commit timeout plans the shard again).
  raft_.propose(raft::MuxStateMachine::wrap(meta::kNamespaceChannel, c.SerializeAsString()),
                [](absl::StatusOr<std::string>) {});
}

}  // namespace cairn::repair
