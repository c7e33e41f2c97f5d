// RaftService lifecycle: recovery, ticks, and the Ready loop (persist, send, apply, advance).
#include "core/raft/raft_service.h"

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/wire/message_types.h"

namespace cairn::raft {

RaftService::RaftService(Runtime& rt, RaftServiceConfig config,
                         std::unique_ptr<StateMachine> machine)
    : rt_(rt),
      config_(std::move(config)),
      storage_(rt.disk(), config_.dir),
      machine_(std::move(machine)) {
  CAIRN_ASSERT(config_.tick > Duration(0));
  CAIRN_ASSERT(machine_ != nullptr);
  Metrics& m = rt_.metrics();
  counters_ = Counters{&m.counter("raft_proposals"),   &m.counter("raft_applied"),
                       &m.counter("raft_reads"),       &m.counter("raft_redirects"),
                       &m.counter("raft_refused"),     &m.counter("raft_elections_won"),
                       &m.counter("raft_disk_writes"), &m.counter("raft_snapshots")};
}

RaftService::~RaftService() { rt_.cancel(tick_timer_); }

std::vector<MessageType> RaftService::types() {
  return {cairn::wire::kRaftMessage, cairn::wire::kAdminRequest};
}

std::vector<MessageType> RaftService::message_types() const { return types(); }

void RaftService::start() {
  storage_.recover([this](absl::Status st) { on_recovered(st); });
}

void RaftService::on_recovered(absl::Status st) {
  if (!st.ok()) return fail(absl::StrCat("recovery: ", std::string(st.message())));
  Config c = config_.raft;
  c.id = rt_.self();
  c.peers.assign(config_.voters.begin(), config_.voters.end());
  c.random_seed = rt_.rng().next();
  absl::StatusOr<std::unique_ptr<Raft>> r = Raft::create(c, storage_);
  if (!r.ok()) return fail(absl::StrCat("start: ", std::string(r.status().message())));
  raft_ = std::move(*r);
  if (config_.observer != nullptr) config_.observer->on_start(rt_.self());
  const PersistentState& s = storage_.state();
  if (s.snapshot.metadata().index() > 0) {
    if (absl::Status rs = machine_->restore(s.snapshot.data()); !rs.ok()) {
      return fail(absl::StrCat("snapshot: ", std::string(rs.message())));
    }
    if (config_.observer != nullptr) {
      config_.observer->on_restore(rt_.self(), s.snapshot.metadata().index());
    }
  }
  const RecoveryReport& rep = storage_.report();
  emit(Event{"raft_recovered",
             {{"term", static_cast<int64_t>(s.hard_state.term())},
              {"snapshot_index", static_cast<int64_t>(rep.snapshot_index)},
              {"last_index", static_cast<int64_t>(rep.last_index)},
              {"dropped_bytes", static_cast<int64_t>(rep.dropped_bytes)}}});
  tick_timer_ = rt_.after(config_.tick, [this] { tick(); });
  pump();
}

void RaftService::fail(const std::string& why) {
  failed_ = true;
  rt_.cancel(tick_timer_);
  rt_.log().error(absl::StrCat("raft: stopped: ", why));
  emit(Event{"raft_failed", {{"reason", why}}});
  fail_pending("node stopped");
}

void RaftService::emit(Event e) { rt_.log().event(std::move(e)); }

void RaftService::tick() {
  tick_timer_ = rt_.after(config_.tick, [this] { tick(); });
  if (!running()) return;
  raft_->tick();
  after_change();
}

void RaftService::on_message(cairn::NodeId from, const Message& m) {
  if (m.type == cairn::wire::kAdminRequest) return on_admin_request(from, m);
  if (!running()) return;  // still recovering (or stopped): peers will retry
  wire::Message header;
  if (!header.ParseFromString(m.header) || header.from() != from || header.to() != rt_.self()) {
    rt_.metrics().counter("raft_bad_messages").add();
    return;
  }
  const uint64_t rejected = pieces_.rejected();
  std::optional<wire::Message> msg = pieces_.add(from, std::move(header), m.payload);
  if (pieces_.rejected() != rejected) rt_.metrics().counter("raft_bad_messages").add();
  if (!msg) return;  // a piece of a snapshot still incomplete
  if (absl::Status st = raft_->step(*msg); !st.ok()) {
    rt_.metrics().counter("raft_bad_messages").add();
    return;
  }
  after_change();
}

// After any input: notice leadership changes, then drain output.
void RaftService::after_change() {
  const bool leader = raft_->role() == Role::kLeader;
  if (leader && raft_->term() > leader_term_seen_) {
    leader_term_seen_ = raft_->term();
    counters_.elections_won->add();
    if (config_.observer != nullptr) config_.observer->on_leader(rt_.self(), *raft_);
    emit(Event{"raft_leader", {{"term", static_cast<int64_t>(raft_->term())}}});
  }
  if (was_leader_ && !leader) {
    emit(Event{"raft_step_down", {{"term", static_cast<int64_t>(raft_->term())}}});
    fail_pending("leadership lost");
  }
  was_leader_ = leader;
  pump();
}

void RaftService::pump() {
  if (!running() || persisting_ || !raft_->has_ready()) return;
  Ready rd = raft_->ready();
  if (config_.observer != nullptr) {
    for (size_t i = 0; i < rd.entries.size(); ++i) {
      const wire::Entry& e = rd.entries[i];
      const uint64_t prev =
          i > 0 ? rd.entries[i - 1].term() : raft_->log().term(e.index() - 1).value_or(0);
      config_.observer->on_append(rt_.self(), e, prev);
    }
  }
  if (!storage_.needs_write(rd)) return finish_ready(std::move(rd));
  persisting_ = true;
  counters_.disk_writes->add();
  auto shared = std::make_shared<Ready>(std::move(rd));
  storage_.persist(*shared, [this, shared](absl::Status st) {
    persisting_ = false;
    if (!st.ok()) return fail(absl::StrCat("disk: ", std::string(st.message())));
    finish_ready(std::move(*shared));
  });
}

// Steps 2-4 of a Ready, once step 1 (persist and sync) is done.
void RaftService::finish_ready(Ready rd) {
  for (const wire::Message& m : rd.messages) {
    for (Message& piece : snapshot_pieces(m, cairn::wire::kRaftMessage)) {
      rt_.send(static_cast<cairn::NodeId>(m.to()), std::move(piece));
    }
  }
  if (rd.restore_state_machine) {
    if (absl::Status st = machine_->restore(rd.snapshot->data()); !st.ok()) {
      return fail(absl::StrCat("snapshot from leader: ", std::string(st.message())));
    }
    if (config_.observer != nullptr) {
      config_.observer->on_restore(rt_.self(), rd.snapshot->metadata().index());
    }
    fail_pending("state replaced by a snapshot");
  }
  for (const wire::Entry& e : rd.committed_entries) {
    applied_bytes_since_snapshot_ += e.data().size();
    apply(e);
  }
  for (const ReadState& rs : rd.read_states) read_states_.push_back(rs);
  raft_->advance(rd);
  serve_reads();
  maybe_snapshot();
  after_change();
}

void RaftService::apply(const wire::Entry& e) {
  if (e.index() <= machine_->applied_index()) return;  // covered by a snapshot restored meanwhile
  if (config_.observer != nullptr) config_.observer->on_apply(rt_.self(), e, raft_->term());
  absl::StatusOr<std::string> result = machine_->apply(e);
  counters_.applied->add();
  if (!result.ok()) {
    // A committed entry that is no command: every replica skips it the same way.
    rt_.log().warn(std::string(result.status().message()));
  }
  if (e.type() == wire::ENTRY_CONF_CHANGE) {
    wire::ConfChange change;
    if (change.ParseFromString(e.data())) {
      emit(Event{"raft_conf_change",
                 {{"index", static_cast<int64_t>(e.index())},
                  {"change", wire::ConfChangeType_Name(change.type())},
                  {"target", absl::StrCat("n", change.node())}}});
    }
  }
  answer_write(e.index(), e, result);
}

void RaftService::maybe_snapshot() {
  if (config_.snapshot_every == 0 || persisting_) return;
  const uint64_t applied = machine_->applied_index();
  // The members apply the same entries, so equal thresholds would have them all serialize
  // and write a snapshot at the same moment. Each waits 0, 1/8, 2/8 or 3/8 longer.
  const auto staggered = [stagger = rt_.self() % 4](uint64_t x) { return x + x / 8 * stagger; };
  if (applied < raft_->log().snapshot_index() + staggered(config_.snapshot_every)) return;
  if (applied != raft_->log().applied()) return;
  // A snapshot costs the whole state: wait until the log since the last one holds at
  // least as many bytes, so that a state that grows with its log (inline file bytes)
  // is not serialized over and over (amortized, a snapshot costs O(1) per logged byte).
  if (applied_bytes_since_snapshot_ < staggered(last_snapshot_bytes_)) return;
  const Time started = rt_.now();
  std::string data = machine_->snapshot();
  const uint64_t bytes = data.size();
  const absl::Status st = raft_->compact(applied, std::move(data));
  if (!st.ok()) return;
  counters_.snapshots->add();
  // The state is serialized on this node's loop: say how long it held the loop (0 in the
  // simulator, which charges no time for it).
  rt_.log().info(absl::StrCat(
      "raft: snapshot at index ", applied, ", ", bytes, " bytes, serialized in ",
      std::chrono::duration_cast<std::chrono::milliseconds>(rt_.now() - started).count(), " ms"));
  last_snapshot_bytes_ = bytes;
  applied_bytes_since_snapshot_ = 0;
}

void RaftService::check_invariants() const {
  if (!running()) return;
  raft_->check_invariants();
  CAIRN_ASSERT(machine_->applied_index() <= raft_->log().commit());
  CAIRN_ASSERT(pending_requests() <= config_.max_pending_requests + 1);
}

}  // namespace cairn::raft
