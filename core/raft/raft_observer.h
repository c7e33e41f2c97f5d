// A hook into what a RaftService does (core/raft), for checkers in tests and in cairn-sim.
//
// The service calls the observer on its node's own thread at the moments the Raft safety
// checker needs: a fresh start (volatile state gone), a snapshot loaded, leadership won,
// an entry written to the log, an entry applied. cairnd passes no observer. The adapter
// to the safety checker lives with the checker (core/check/raft_recorder.h), so protocol
// code does not depend on test checkers.
#pragma once

#include <cstdint>

#include "core/raft/raft.h"

namespace cairn::raft {

class RaftObserver {
 public:
  virtual ~RaftObserver() = default;
  // The node (re)started: nothing it applied before counts as applied any more.
  virtual void on_start(NodeId node) = 0;
  // The node's state machine was loaded from a snapshot ending at `index`.
  virtual void on_restore(NodeId node, uint64_t index) = 0;
  // The node became leader; `raft` is its state right then.
  virtual void on_leader(NodeId node, const Raft& raft) = 0;
  // The node wrote `e` to its log; the entry before it has `prev_term`.
  virtual void on_append(NodeId node, const wire::Entry& e, uint64_t prev_term) = 0;
  // The node applied committed entry `e` while its term was `node_term`.
  virtual void on_apply(NodeId node, const wire::Entry& e, uint64_t node_term) = 0;
};

}  // namespace cairn::raft
