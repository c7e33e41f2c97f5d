// Where a Raft node's durable state lives (core/raft).
//
// Raft reads its persisted state once, at construction, through Storage::load(); after
// that it keeps the log (since the last snapshot) in memory and tells the driver what
// to write through Ready. A disk-backed Storage must implement the same persist rules as
// MemoryStorage::persist: snapshot first, then entries (truncate, append), then hard state.
#pragma once

#include "absl/status/statusor.h"
#include "core/raft/types.h"

namespace cairn::raft {

class Storage {
 public:
  virtual ~Storage() = default;
  // The state synced so far. DataLoss if it cannot be read back intact.
  virtual absl::StatusOr<PersistentState> load() const = 0;
};

// Durable state kept in memory: what a simulated disk keeps across a crash. Tests and
// the in-memory cluster harness use it; only what persist() received survives a crash.
class MemoryStorage final : public Storage {
 public:
  absl::StatusOr<PersistentState> load() const override { return state_; }

  // Writes the persistent part of `ready` (snapshot, entries, hard state).
  // REQUIRES: ready.entries, if any, start at or before last stored index + 1.
  void persist(const Ready& ready);
  // The same, taking the snapshot's and the entries' bytes instead of copying them.
  void persist(Ready&& ready);

  const PersistentState& state() const { return state_; }

 private:
  void persist_snapshot(wire::Snapshot snapshot);
  void persist_entries(std::vector<wire::Entry> entries);

  PersistentState state_;
};

}  // namespace cairn::raft
