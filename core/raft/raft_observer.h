// A hook into what a RaftService does (core/raft), for checkers in tests and in cairn-sim.
//
// The service calls the observer on its node's own thread at the moments the Raft safety
// checker needs: a fresh start (volatile state gone), a snapshot loaded, leadership won,
// an entry written to the log, an entry applied. cairnd passes no observer. SafetyRecorder
// feeds core/check's RaftSafetyChecker; one recorder may observe every node of a run.
#pragma once

#include <cstdint>

#include "core/check/raft_safety.h"
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

// The digest the checkers identify entries by (type and payload).
uint64_t entry_digest(const wire::Entry& e);

// Feeds every observation into a RaftSafetyChecker.
class SafetyRecorder final : public RaftObserver {
 public:
  void on_start(NodeId node) override { checker_.on_restart(node); }
  void on_restore(NodeId node, uint64_t index) override { checker_.on_restore(node, index); }
  void on_leader(NodeId node, const Raft& raft) override;
  void on_append(NodeId node, const wire::Entry& e, uint64_t prev_term) override;
  void on_apply(NodeId node, const wire::Entry& e, uint64_t node_term) override;

  const check::RaftSafetyChecker& checker() const { return checker_; }
  uint64_t leaders() const { return leaders_; }
  uint64_t applies() const { return applies_; }

 private:
  check::RaftSafetyChecker checker_;
  uint64_t leaders_ = 0;
  uint64_t applies_ = 0;
};

}  // namespace cairn::raft
