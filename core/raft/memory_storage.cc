#include "core/base/assert.h"
#include "core/raft/storage.h"

namespace cairn::raft {

void MemoryStorage::persist(const Ready& ready) {
  if (ready.snapshot) persist_snapshot(*ready.snapshot);
  if (!ready.entries.empty()) persist_entries(ready.entries);
  if (ready.hard_state) state_.hard_state = *ready.hard_state;
}

void MemoryStorage::persist(Ready&& ready) {
  if (ready.snapshot) persist_snapshot(std::move(*ready.snapshot));
  if (!ready.entries.empty()) persist_entries(std::move(ready.entries));
  if (ready.hard_state) state_.hard_state = *ready.hard_state;
}

void MemoryStorage::persist_snapshot(wire::Snapshot snapshot) {
  const uint64_t index = snapshot.metadata().index();
  const uint64_t old_index = state_.snapshot.metadata().index();
  CAIRN_ASSERT(index > old_index);
  // Keep the entries after the snapshot only if the log agrees with it at its index
  // (a local compaction); a snapshot from the leader that disagrees replaces the log.
  std::vector<wire::Entry> kept;
  const uint64_t offset = index - old_index;  // position of the snapshot's entry + 1
  if (offset <= state_.entries.size() &&
      state_.entries[offset - 1].term() == snapshot.metadata().term()) {
    kept.assign(state_.entries.begin() + static_cast<std::ptrdiff_t>(offset), state_.entries.end());
  }
  state_.entries = std::move(kept);
  state_.snapshot = std::move(snapshot);
}

void MemoryStorage::persist_entries(std::vector<wire::Entry> entries) {
  const uint64_t first = entries.front().index();
  const uint64_t snapshot_index = state_.snapshot.metadata().index();
  CAIRN_ASSERT(first > snapshot_index);
  CAIRN_ASSERT(first <= snapshot_index + state_.entries.size() + 1);
  state_.entries.resize(first - snapshot_index - 1);  // drop the conflicting suffix
  for (wire::Entry& e : entries) {
    CAIRN_ASSERT(e.index() == snapshot_index + state_.entries.size() + 1);
    state_.entries.push_back(std::move(e));
  }
}

}  // namespace cairn::raft
