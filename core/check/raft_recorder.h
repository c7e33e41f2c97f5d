// Adapters from what core/raft emits to what the checkers read (core/check). The
// dependency points from checker to subject: core/raft offers a RaftObserver hook and
// client callbacks in its own vocabulary, and this module turns them into the
// RaftSafetyChecker's events and the linearizability checker's operations.
//
// Promises: RaftSafetyRecorder forwards every observation, in the order the service made
// it, to one RaftSafetyChecker (one recorder may observe every node of a run); the entry
// digest depends only on an entry's type and payload, so every node computes the same
// digest for the same entry.
#pragma once

#include <cstdint>

#include "core/check/linearizability.h"
#include "core/check/raft_safety.h"
#include "core/kv/kv.pb.h"
#include "core/raft/raft.h"
#include "core/raft/raft_observer.h"

namespace cairn::check {

// The digest the checkers identify Raft entries by (type and payload).
uint64_t raft_entry_digest(const raft::wire::Entry& e);

// The checker's view of a client's key-value command (no output yet, no times).
KvOperation kv_operation(const kv::wire::KvCommand& command);

// Feeds every observation of a RaftService into a RaftSafetyChecker.
class RaftSafetyRecorder final : public raft::RaftObserver {
 public:
  void on_start(raft::NodeId node) override { checker_.on_restart(node); }
  void on_restore(raft::NodeId node, uint64_t index) override { checker_.on_restore(node, index); }
  void on_leader(raft::NodeId node, const raft::Raft& raft) override;
  void on_append(raft::NodeId node, const raft::wire::Entry& e, uint64_t prev_term) override;
  void on_apply(raft::NodeId node, const raft::wire::Entry& e, uint64_t node_term) override;

  const RaftSafetyChecker& checker() const { return checker_; }
  uint64_t leaders() const { return leaders_; }
  uint64_t applies() const { return applies_; }

 private:
  RaftSafetyChecker checker_;
  uint64_t leaders_ = 0;
  uint64_t applies_ = 0;
};

}  // namespace cairn::check
