// The world's faults: crashes, restarts, partitions, drains and disk faults, applied at
// the times a scenario's `faults:` list gives, each recorded in the trace.
#include <chrono>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "runtime-sim/sim_world.h"
#include "runtime-sim/world.h"

namespace sg4 = simgrid::s4u;

namespace cairn::sim {

void World::record_fault(const Fault& f) {
  Event e{"fault", {{"fault", fault_kind_name(f.kind)}}};
  std::string targets;
  for (NodeId n : f.nodes) absl::StrAppend(&targets, targets.empty() ? "" : " ", "n", n);
  for (const auto& g : f.groups) {
    absl::StrAppend(&targets, targets.empty() ? "" : " | ");
    for (size_t i = 0; i < g.size(); ++i) absl::StrAppend(&targets, i ? " " : "", "n", g[i]);
  }
  if (!targets.empty()) e.fields.push_back({"targets", targets});
  if (f.length > Duration(0)) e.fields.push_back({"for_s", to_seconds(f.length)});
  if (f.line > 0) e.fields.push_back({"line", int64_t{f.line}});
  record(now(), kNoNode, e);
}

void World::crash(NodeId id, bool lose_disk) {
  SimNode& n = *nodes_[id - 1];
  if (!n.up()) return;
  // Restarted at this very instant (a restart and a crash at the same time): let its actor
  // and the workers it started run and park first, so the crash finds them parked as always.
  for (int i = 0; i < 64 && !n.settled(); ++i) sg4::this_actor::yield();
  n.crash(damage_);
  if (lose_disk) {
    const uint64_t bytes = n.mem_disk().bytes_stored();
    n.lose_disk();
    record(now(), id, Event{"disk_lost", {{"bytes", static_cast<int64_t>(bytes)}}});
  }
  truth_.crash(id, now());
  if (connections_ != nullptr) connections_->crash(id, now());
}

void World::restart(NodeId id) {
  SimNode& n = *nodes_[id - 1];
  if (n.up()) return;
  truth_.restart(id, now());
  if (connections_ != nullptr) connections_->restart(id, now());
  membership_.restarted(id, now(), scenario_.node_ids());
  n.boot();
}

void World::disturb(const std::vector<NodeId>& nodes) {
  for (NodeId n : nodes) disturbed_since_.try_emplace(n, now());
}

void World::undisturb_all() {
  for (auto [n, since] : disturbed_since_) truth_.disturb(n, since, now());
  disturbed_since_.clear();
}

NodeId World::current_leader() {
  NodeId best = kNoNode;
  uint64_t term = 0;
  for (NodeId id : scenario_.meta_ids()) {
    SimNode& n = *nodes_[id - 1];
    auto* s = n.up() && n.node() != nullptr ? n.node()->find<raft::RaftService>() : nullptr;
    if (s != nullptr && s->is_leader() && s->raft()->term() > term) {
      best = id;
      term = s->raft()->term();
    }
  }
  return best;
}

std::optional<Fault> World::resolve(const Fault& fault) {
  if (!fault.target_leader) return fault;
  Fault f = fault;
  const NodeId target = f.kind == FaultKind::kRestart ? crashed_leader_ : current_leader();
  if (target == kNoNode) return std::nullopt;
  if (f.kind == FaultKind::kCrash) crashed_leader_ = target;
  if (f.kind == FaultKind::kRestart) crashed_leader_ = kNoNode;
  f.nodes = {target};
  current_leader_resolved_ = target;
  if (f.kind == FaultKind::kPartition && !f.isolate) {
    // `leader` written in a group: the leader joins that group, leaving any other.
    for (auto& g : f.groups) std::erase(g, target);
    f.groups[static_cast<size_t>(f.leader_group)].push_back(target);
    std::sort(f.groups[static_cast<size_t>(f.leader_group)].begin(),
              f.groups[static_cast<size_t>(f.leader_group)].end());
    f.nodes.clear();
  }
  if (f.isolate) {
    std::vector<NodeId> rest;
    for (NodeId n : scenario_.node_ids()) {
      if (n != target) rest.push_back(n);
    }
    f.groups = {{target}, rest};
    f.nodes.clear();
  }
  return f;
}

void World::apply(size_t index) {
  const Fault& fault = scenario_.faults[index];
  const std::optional<Fault> resolved = resolve(fault);
  if (!resolved) {
    fault_outcomes_[index].skipped = fault.kind == FaultKind::kRestart
                                         ? "no leader was crashed by an earlier crash: leader"
                                         : "no leader at that moment";
    record(now(), kNoNode,
           Event{"fault_skipped", {{"fault", fault_kind_name(fault.kind)}, {"why", "no leader"}}});
    return;
  }
  const Fault& f = *resolved;
  if (fault.target_leader) {
    // The node the `leader` fault hit (for a restart: the crashed leader it brought back).
    fault_outcomes_[index].hit = current_leader_resolved_;
  }
  record_fault(f);
  switch (f.kind) {
    case FaultKind::kCrash:
      for (NodeId n : f.nodes) crash(n, f.lose_disk);
      break;
    case FaultKind::kRestart:
      for (NodeId n : f.nodes) restart(n);
      break;
    case FaultKind::kPartition:
      network_.partition(f.groups, f.one_way);
      for (const auto& g : f.groups) disturb(g);
      break;
    case FaultKind::kHeal:
      network_.heal();
      undisturb_all();
      truth_.heal(now());
      break;
    case FaultKind::kLink: {
      const uint64_t rule = network_.add_rule(f.from, f.to, f.link);
      if (f.length > Duration(0))
        schedule(now() + f.length, [this, rule] { network_.remove_rule(rule); });
      break;
    }
    case FaultKind::kPause:
      for (NodeId n : f.nodes) {
        nodes_[n - 1]->pause_until(now() + f.length);
        truth_.disturb(n, now(), now() + f.length);
      }
      break;
    case FaultKind::kSlowDisk:
      for (NodeId n : f.nodes) {
        nodes_[n - 1]->set_disk_factor(f.factor);
        if (f.length > Duration(0)) {
          schedule(now() + f.length, [this, n] { nodes_[n - 1]->set_disk_factor(1); });
        }
      }
      break;
    case FaultKind::kTornWrites:
      damage_.torn_write_probability = f.probability;
      damage_.corrupt_probability = f.probability / 2;
      break;
    case FaultKind::kDisk:
      for (NodeId n : f.nodes) apply_disk_fault(n, f);
      break;
    case FaultKind::kAddLearner:
    case FaultKind::kPromote:
    case FaultKind::kRemoveMember:
    case FaultKind::kTransferLeader:
      break;  // carried out by the admin client, which has the schedule
    case FaultKind::kJoin:
    case FaultKind::kLeave:
      placement_->apply(f, now().time_since_epoch());
      break;
    case FaultKind::kDrain:
      for (NodeId n : f.nodes) drain(n, 0);
      break;
  }
}

void World::drain(NodeId node, int attempt) {
  const NodeId leader = current_leader();
  if (leader != kNoNode && registered_draining(*nodes_[leader - 1], node)) {
    record(now(), leader, Event{"drain_registered", {{"node", static_cast<int64_t>(node)}}});
    return;
  }
  if (leader != kNoNode) propose_drain(*nodes_[leader - 1], node);
  if (attempt < kDrainAttempts) {
    schedule(now() + std::chrono::seconds(1), [this, node, attempt] { drain(node, attempt + 1); });
  }
}

void World::apply_disk_fault(NodeId id, const Fault& f) {
  SimNode& node = *nodes_[id - 1];
  const DiskFaultSpec& d = f.disk;
  // What the fault changes, and the values to restore after `for`.
  const DiskFaults before = node.faulty_disk().faults();
  const double factor_before = node.disk_factor();
  const uint64_t capacity_before = node.mem_disk().capacity();
  DiskFaults after = before;
  if (d.read_errors) after.read_error_probability = *d.read_errors;
  if (d.lost_writes) after.lost_write_probability = *d.lost_writes;
  if (d.misdirected_writes) after.misdirected_write_probability = *d.misdirected_writes;
  if (d.slow_latency) after.added_latency = *d.slow_latency;
  node.faulty_disk().set_faults(after);
  if (d.slow_factor) node.set_disk_factor(*d.slow_factor);
  if (d.capacity_bytes) node.mem_disk().set_capacity(*d.capacity_bytes);
  if (d.full) {
    const uint64_t used = node.mem_disk().bytes_stored();
    node.mem_disk().set_capacity(*d.full ? std::max<uint64_t>(used, 1) : MemDisk::kUnlimited);
  }
  for (const RotReport& r : node.mem_disk().rot(disk_fault_rng_, d.rot_files)) {
    record(now(), id,
           Event{"disk_rot",
                 {{"file", r.name},
                  {"offset", static_cast<int64_t>(r.offset)},
                  {"bit", int64_t{r.bit}}}});
  }
  if (f.length <= Duration(0)) return;
  schedule(now() + f.length, [this, id, d, line = f.line, before, factor_before, capacity_before] {
    SimNode& n = *nodes_[id - 1];
    n.faulty_disk().set_faults(before);
    if (d.slow_factor) n.set_disk_factor(factor_before);
    if (d.capacity_bytes || d.full) n.mem_disk().set_capacity(capacity_before);
    record(now(), id, Event{"disk_fault_end", {{"line", int64_t{line}}}});
  });
}

}  // namespace cairn::sim
