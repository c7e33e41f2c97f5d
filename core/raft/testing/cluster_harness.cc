#include "core/raft/testing/cluster_harness.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/check/raft_recorder.h"

namespace cairn::raft::testing {

namespace {

uint64_t entry_digest(const wire::Entry& e) { return check::raft_entry_digest(e); }

}  // namespace

Cluster::Cluster(const ClusterOptions& options)
    : options_(options), rng_(options.seed), trace_(std::getenv("CAIRN_TRACE") != nullptr) {
  for (NodeId id = 1; id <= total_nodes(); ++id) {
    slots_[id] = std::make_unique<Slot>();
    group_[id] = 0;
  }
  for (NodeId id = 1; id <= options_.nodes; ++id) start(id);
  for (uint32_t i = 0; i <= options_.clients; ++i) {  // the last one is the probe client
    auto c = std::make_unique<Client>();
    c->id = i + 1;
    clients_.push_back(std::move(c));
  }
  values_.resize(std::max<uint32_t>(options_.keys, 1));
}

Cluster::~Cluster() = default;

Cluster::Slot& Cluster::slot(NodeId id) { return *slots_.at(id); }

bool Cluster::is_up(NodeId id) const {
  auto it = slots_.find(id);
  return it != slots_.end() && it->second->raft != nullptr;
}

Raft* Cluster::node(NodeId id) { return is_up(id) ? slot(id).raft.get() : nullptr; }

Config Cluster::node_config(NodeId id) const {
  Config c = options_.raft;
  c.id = id;
  c.peers.clear();
  for (NodeId p = 1; p <= options_.nodes; ++p) c.peers.push_back(p);
  c.random_seed = options_.seed * 1000003 + id;
  return c;
}

void Cluster::start(NodeId id) {
  Slot& s = slot(id);
  CAIRN_ASSERT(s.raft == nullptr);
  absl::StatusOr<std::unique_ptr<Raft>> r = Raft::create(node_config(id), s.disk);
  CAIRN_ASSERT(r.ok());
  s.raft = std::move(*r);
  Faults::plant(*s.raft, options_.bug);
  s.kv = std::make_unique<kv::KvStateMachine>();
  const wire::Snapshot& snap = s.disk.state().snapshot;
  safety_.on_restart(id);
  if (snap.metadata().index() > 0) {
    const absl::Status st = s.kv->restore(snap.data());
    CAIRN_ASSERT(st.ok());
    safety_.on_restore(id, snap.metadata().index());
  }
  s.raft->check_invariants();
}

void Cluster::crash(NodeId id) {
  Slot& s = slot(id);
  if (s.raft == nullptr) return;
  s.raft.reset();  // any Ready not yet handled is lost: it was never persisted
  s.kv.reset();
  s.reads.clear();
  s.ready_reads.clear();
  safety_.on_restart(id);
}

void Cluster::restart(NodeId id) {
  if (is_up(id)) return;
  // A spare that was never added stays down; one added before has a disk to come back to.
  if (id > options_.nodes && slot(id).disk.state().hard_state.term() == 0) return;
  start(id);
}

void Cluster::isolate(NodeId id) {
  for (auto& [n, g] : group_) g = n == id ? 1 : 0;
}

void Cluster::partition(uint32_t mask) {
  for (auto& [n, g] : group_) g = (mask >> (n - 1)) & 1U;
}

void Cluster::heal() {
  for (auto& [n, g] : group_) g = 0;
}

bool Cluster::connected(NodeId a, NodeId b) const { return group_.at(a) == group_.at(b); }

void Cluster::send(const wire::Message& m) {
  if (slots_.count(m.to()) == 0 || !connected(m.from(), m.to())) return;
  if (random(100) < network_.loss_percent) return;
  const int copies = random(100) < network_.duplicate_percent ? 2 : 1;
  for (int i = 0; i < copies && wire_.size() < options_.max_in_flight; ++i) {
    const uint64_t delay =
        1 + (network_.max_extra_delay ? random(network_.max_extra_delay + 1) : 0);
    wire_.emplace(std::make_pair(now_ + delay, ++seq_), m);
  }
}

void Cluster::deliver_due() {
  while (!wire_.empty() && wire_.begin()->first.first <= now_) {
    const wire::Message m = std::move(wire_.begin()->second);
    wire_.erase(wire_.begin());
    if (!is_up(m.to()) || !connected(m.from(), m.to())) continue;
    ++delivered_;
    const absl::Status st = slot(m.to()).raft->step(m);
    if (!st.ok()) std::fprintf(stderr, "%s: %s\n", st.ToString().c_str(), m.DebugString().c_str());
    CAIRN_ASSERT(st.ok());
    after_input(m.to());
  }
}

void Cluster::record_leader(NodeId id) {
  Slot& s = slot(id);
  const Raft& r = *s.raft;
  if (r.role() != Role::kLeader || r.term() <= s.leader_term) return;
  s.leader_term = r.term();
  std::vector<check::LogRecord> log;
  for (uint64_t i = r.log().first_index(); i <= r.log().last_index(); ++i) {
    const wire::Entry& e = r.log().at(i);
    log.push_back({e.index(), e.term(), entry_digest(e)});
  }
  if (trace_) {
    std::fprintf(stderr, "[%lu] n%u leader term %lu log %lu..%lu commit %lu\n", now_, id, r.term(),
                 r.log().first_index(), r.log().last_index(), r.log().commit());
  }
  safety_.on_leader(id, r.term(), r.log().snapshot_index(), std::move(log));
}

void Cluster::after_input(NodeId id) {
  record_leader(id);
  slot(id).raft->check_invariants();
}

void Cluster::step() {
  if (stalled()) return;
  ++now_;
  deliver_due();
  if (now_ % options_.steps_per_tick == 0) {
    for (auto& [id, s] : slots_) {
      if (s->raft == nullptr) continue;
      s->raft->tick();
      after_input(id);
    }
  }
  run_clients();
  for (auto& [id, s] : slots_) {
    if (s->raft == nullptr || !s->raft->has_ready()) continue;
    if (random(100) < options_.defer_ready_percent) continue;  // a slow disk
    handle_ready(id);
    after_input(id);
  }
}

void Cluster::run(uint32_t steps) {
  for (uint32_t i = 0; i < steps; ++i) step();
}

void Cluster::handle_ready(NodeId id) {
  Slot& s = slot(id);
  Raft& r = *s.raft;
  Ready rd = r.ready();
  for (size_t i = 0; i < rd.entries.size(); ++i) {
    const wire::Entry& e = rd.entries[i];
    const uint64_t prev =
        i > 0 ? rd.entries[i - 1].term() : r.log().term(e.index() - 1).value_or(0);
    safety_.on_append(id, e.index(), e.term(), prev, entry_digest(e));
  }
  s.disk.persist(rd);                                  // step 1: persist and sync
  for (const wire::Message& m : rd.messages) send(m);  // step 2: only then send
  if (rd.restore_state_machine) {
    const absl::Status st = s.kv->restore(rd.snapshot->data());
    CAIRN_ASSERT(st.ok());
    safety_.on_restore(id, rd.snapshot->metadata().index());
  }
  for (const wire::Entry& e : rd.committed_entries) apply_committed(id, e);
  for (const ReadState& rs : rd.read_states) s.ready_reads.push_back(rs);
  r.advance(rd);
  serve_reads(id);
  maybe_compact(id);
}

void Cluster::apply_committed(NodeId id, const wire::Entry& e) {
  Slot& s = slot(id);
  const uint64_t digest = entry_digest(e);
  if (trace_) std::fprintf(stderr, "[%lu] n%u apply (%lu,%lu)\n", now_, id, e.index(), e.term());
  safety_.on_commit(id, e.index(), e.term(), digest, s.raft->term());
  absl::StatusOr<std::string> result = s.kv->apply(e);
  CAIRN_ASSERT(result.ok());
  safety_.on_apply(id, e.index(), digest);
  if (result->empty()) return;
  kv::wire::KvCommand command;
  const bool parsed = command.ParseFromString(e.data());
  CAIRN_ASSERT(parsed);
  if (command.client_id() == 0 || command.client_id() > clients_.size()) return;
  Client& c = *clients_[command.client_id() - 1];
  if (!c.busy || c.via_read_index || c.target != id || c.seq != command.sequence()) return;
  kv::wire::KvResult r;
  const bool result_parsed = r.ParseFromString(*result);
  CAIRN_ASSERT(result_parsed);
  complete(c, r.ok(), command.op() == kv::wire::KV_GET ? r.value() : std::string());
}

void Cluster::serve_reads(NodeId id) {
  Slot& s = slot(id);
  std::vector<ReadState> waiting;
  for (const ReadState& rs : s.ready_reads) {
    if (rs.index > s.kv->applied_index()) {
      waiting.push_back(rs);
      continue;
    }
    auto it = s.reads.find(rs.request_id);
    if (it == s.reads.end()) continue;
    Client& c = *clients_[it->second];
    s.reads.erase(it);
    if (!c.busy || !c.via_read_index || c.target != id || c.read_id != rs.request_id) continue;
    const std::optional<std::string> value = s.kv->get(c.command.key());
    complete(c, value.has_value(), value.value_or(""));
  }
  s.ready_reads = std::move(waiting);
}

void Cluster::maybe_compact(NodeId id) {
  if (options_.compact_every == 0) return;
  Slot& s = slot(id);
  const uint64_t applied = s.kv->applied_index();
  if (applied < s.raft->log().snapshot_index() + options_.compact_every) return;
  if (applied != s.raft->log().applied()) return;
  const absl::Status st = s.raft->compact(applied, s.kv->snapshot());
  CAIRN_ASSERT(st.ok() || absl::IsFailedPrecondition(st));
}

}  // namespace cairn::raft::testing
