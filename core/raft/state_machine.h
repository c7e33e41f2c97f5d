// What a Raft group replicates (core/raft): the application's state machine.
//
// Raft only orders commands; the application applies them (etcd-raft's split). A
// RaftService is handed one StateMachine and calls it on the node's own thread:
//   - apply() for every committed entry, in log order, exactly once per index since the
//     last restore() — no-ops and configuration changes too, so applied_index() follows
//     the log;
//   - query() for a linearizable read, only once everything committed when the read was
//     asked has been applied (ReadIndex);
//   - snapshot() to compact the log, restore() to load a snapshot (from the node's own
//     disk at start, or sent by the leader).
// Determinism is the state machine's promise: the same entries from the same snapshot
// give the same results and the same state on every replica (no clock, no randomness).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/raft/raft.pb.h"

namespace cairn::raft {

class StateMachine {
 public:
  virtual ~StateMachine() = default;

  // Applies committed entry `e` and returns the result for whoever proposed it (empty for
  // entries that carry no command). An error status means the entry carries no command
  // this machine can read: every replica skips it alike, and the proposer is told.
  // REQUIRES: e.index() == applied_index() + 1.
  virtual absl::StatusOr<std::string> apply(const wire::Entry& e) = 0;
  // Answers a read-only `query` from the current state. InvalidArgument if unreadable.
  virtual absl::StatusOr<std::string> query(std::string_view query) const = 0;
  virtual uint64_t applied_index() const = 0;

  // The whole state, including applied_index().
  virtual std::string snapshot() const = 0;
  // Replaces the whole state. DataLoss if `data` is not a snapshot of this machine.
  virtual absl::Status restore(const std::string& data) = 0;
};

}  // namespace cairn::raft
