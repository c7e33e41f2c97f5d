#include "core/raft/progress.h"

#include <algorithm>

#include "core/base/assert.h"

namespace cairn::raft {

void Inflights::add(uint64_t last_index, uint64_t bytes) {
  CAIRN_ASSERT(!full());
  CAIRN_ASSERT(window_.empty() || window_.back().first < last_index);
  window_.emplace_back(last_index, bytes);
  bytes_ += bytes;
}

void Inflights::free_le(uint64_t index) {
  while (!window_.empty() && window_.front().first <= index) free_first();
}

void Inflights::free_first() {
  if (window_.empty()) return;
  bytes_ -= window_.front().second;
  window_.pop_front();
}

void Inflights::reset() {
  window_.clear();
  bytes_ = 0;
}

void Progress::become_probe() {
  // After a snapshot, resume right after it; otherwise right after the known match.
  const uint64_t from =
      state == ProgressState::kSnapshot ? std::max(match, pending_snapshot) : match;
  state = ProgressState::kProbe;
  next = from + 1;
  pending_snapshot = 0;
  snapshot_ticks = 0;
  probe_sent = false;
  inflights.reset();
}

void Progress::become_replicate() {
  state = ProgressState::kReplicate;
  next = match + 1;
  probe_sent = false;
  inflights.reset();
}

void Progress::become_snapshot(uint64_t snapshot_index) {
  state = ProgressState::kSnapshot;
  pending_snapshot = snapshot_index;
  snapshot_ticks = 0;
  probe_sent = false;
  inflights.reset();
}

bool Progress::maybe_update(uint64_t n) {
  bool updated = false;
  if (match < n) {
    match = n;
    updated = true;
    probe_sent = false;
  }
  next = std::max(next, n + 1);
  return updated;
}

bool Progress::maybe_decrease_to(uint64_t rejected, uint64_t hint) {
  if (state == ProgressState::kReplicate) {
    if (rejected <= match) return false;  // stale: that index was acknowledged since
    next = match + 1;
    return true;
  }
  if (next == 0 || next - 1 != rejected) return false;  // stale probe answer
  next = std::max(std::min(rejected, hint + 1), match + 1);
  probe_sent = false;
  return true;
}

void Progress::sent_entries(uint64_t last, uint64_t bytes) {
  if (state == ProgressState::kReplicate) {
    next = last + 1;
    inflights.add(last, bytes);
  } else if (state == ProgressState::kProbe) {
    probe_sent = true;
  }
}

bool Progress::is_paused() const {
  switch (state) {
    case ProgressState::kProbe:
      return probe_sent;
    case ProgressState::kReplicate:
      return inflights.full();
    case ProgressState::kSnapshot:
      return true;
  }
  return true;
}

}  // namespace cairn::raft
