// Snapshots and log compaction (§7 of the paper, chapter 5 of the dissertation).
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/raft/raft.h"

namespace cairn::raft {

absl::Status Raft::compact(uint64_t index, std::string data) {
  if (index != log_.applied()) {
    return absl::FailedPreconditionError(
        absl::StrCat("raft: compact at ", index, " but applied index is ", log_.applied()));
  }
  if (index <= log_.snapshot_index()) {
    return absl::FailedPreconditionError(
        absl::StrCat("raft: index ", index, " is already covered by a snapshot"));
  }
  if (index > log_.stable_index() || snapshot_unstable_) {
    return absl::FailedPreconditionError("raft: compact before the previous Ready is advanced");
  }
  wire::Snapshot snap;
  snap.mutable_metadata()->set_index(index);
  snap.mutable_metadata()->set_term(*log_.term(index));
  // Configuration changes take effect when applied, so the current configuration is the
  // one at the applied index.
  *snap.mutable_metadata()->mutable_conf_state() = conf_state();
  snap.set_data(std::move(data));
  log_.compact(index);
  snapshot_ = std::move(snap);
  snapshot_unstable_ = true;
  restore_pending_ = false;
  return absl::OkStatus();
}

bool Raft::send_snapshot(NodeId to, Progress& pr) {
  // Only a compacted log lacks the entry before `next`, so a snapshot exists.
  CAIRN_ASSERT(snapshot_.metadata().index() > 0);
  wire::Message m;
  m.set_type(wire::MSG_SNAPSHOT);
  m.set_to(to);
  *m.mutable_snapshot() = snapshot_;
  pr.become_snapshot(snapshot_.metadata().index());
  send(std::move(m));
  return true;
}

void Raft::handle_snapshot(const wire::Message& m) {
  const wire::SnapshotMetadata& meta = m.snapshot().metadata();
  if (meta.index() <= log_.commit()) {  // nothing new
    respond_append(m, log_.commit(), false, 0);
    return;
  }
  if (log_.match_term(meta.index(), meta.term())) {  // our log already holds it
    log_.commit_to(meta.index());
    respond_append(m, log_.commit(), false, 0);
    return;
  }
  log_.restore(meta.index(), meta.term());
  snapshot_ = m.snapshot();
  snapshot_unstable_ = true;
  restore_pending_ = true;
  set_configuration(meta.conf_state());
  respond_append(m, log_.last_index(), false, 0);
}

// A snapshot message may be lost; after an election timeout the leader probes again.
void Raft::tick_snapshot_waits() {
  for (auto& [id, pr] : progress_) {
    if (pr.state != ProgressState::kSnapshot) continue;
    if (++pr.snapshot_ticks >= config_.election_ticks) pr.become_probe();
  }
}

}  // namespace cairn::raft
