// The leader's view of one follower's log (core/raft), after etcd's Progress: how far it
// matches, what to send next, and a bounded window of appends in flight.
//
// Probe: one append at a time until the follower's match is found. Replicate: appends are
// pipelined optimistically, at most max_count messages / max_bytes in flight. Snapshot:
// paused until the follower acknowledges the snapshot (or the leader gives up waiting).
#pragma once

#include <cstdint>
#include <deque>
#include <utility>

namespace cairn::raft {

class Inflights {
 public:
  Inflights(uint64_t max_count, uint64_t max_bytes)
      : max_count_(max_count), max_bytes_(max_bytes) {}

  // REQUIRES: !full(); last_index larger than every index in flight.
  void add(uint64_t last_index, uint64_t bytes);
  // The follower acknowledged everything up to `index`.
  void free_le(uint64_t index);
  void free_first();
  void reset();
  bool full() const { return window_.size() >= max_count_ || bytes_ >= max_bytes_; }
  uint64_t count() const { return window_.size(); }
  uint64_t max_count() const { return max_count_; }

 private:
  uint64_t max_count_;
  uint64_t max_bytes_;
  uint64_t bytes_ = 0;
  std::deque<std::pair<uint64_t, uint64_t>> window_;  // (last index sent, bytes)
};

enum class ProgressState { kProbe, kReplicate, kSnapshot };

struct Progress {
  Progress(uint64_t next_index, uint64_t max_inflight, uint64_t max_inflight_bytes)
      : next(next_index), inflights(max_inflight, max_inflight_bytes) {}

  uint64_t match = 0;
  uint64_t next = 1;
  ProgressState state = ProgressState::kProbe;
  uint64_t pending_snapshot = 0;  // index of the snapshot being installed
  int snapshot_ticks = 0;         // ticks spent waiting for that snapshot
  bool probe_sent = false;        // Probe: an append is outstanding
  bool recent_active = false;     // heard from within the last election timeout
  uint64_t read_ack = 0;          // highest ReadIndex round this follower confirmed
  Inflights inflights;

  void become_probe();
  void become_replicate();
  void become_snapshot(uint64_t snapshot_index);
  // An acknowledgement of index `n`; returns whether match advanced.
  bool maybe_update(uint64_t n);
  // A rejection of the append at `rejected`; returns false if it is stale.
  bool maybe_decrease_to(uint64_t rejected, uint64_t hint);
  // Record an append of entries up to `last` (bytes long) just sent.
  void sent_entries(uint64_t last, uint64_t bytes);
  bool is_paused() const;
};

}  // namespace cairn::raft
