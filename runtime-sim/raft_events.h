// What students watch a Raft run by, beyond what the Raft service itself reports: every
// node's term changes (a node that raises its term as a candidate has started an
// election), every truncation of a node's log (a follower dropping entries that the new
// leader's log contradicts) and every snapshot a leader installs on a node (which replaces
// its whole log). Also the client history file (history.jsonl).
//
// Promises: events are recorded at the simulated moment they are seen, in the order the
// nodes' steps ran, so they are as deterministic as the rest of the trace. It forwards
// every observation, unchanged and first, to the observer it wraps (the safety checker).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/check/linearizability.h"
#include "core/raft/raft.h"
#include "core/raft/raft_observer.h"
#include "core/runtime/log.h"
#include "core/runtime/time.h"

namespace cairn::sim {

class RaftEventRecorder final : public raft::RaftObserver {
 public:
  using Record = std::function<void(NodeId node, const Event& event)>;
  // `inner` is not owned and must outlive this recorder.
  RaftEventRecorder(raft::RaftObserver& inner, Record record)
      : inner_(inner), record_(std::move(record)) {}

  void on_start(raft::NodeId node) override;
  void on_restore(raft::NodeId node, uint64_t index) override;
  void on_leader(raft::NodeId node, const raft::Raft& raft) override;
  void on_append(raft::NodeId node, const raft::wire::Entry& e, uint64_t prev_term) override;
  void on_apply(raft::NodeId node, const raft::wire::Entry& e, uint64_t node_term) override;

  // After every step of a node that runs Raft: records a `raft_term` event when its term
  // changed since the last step (`role` says why: candidate = it started an election).
  void after_step(NodeId node, const raft::Raft& raft);

  uint64_t elections_started() const { return elections_started_; }
  uint64_t truncations() const { return truncations_; }

 private:
  raft::RaftObserver& inner_;
  Record record_;
  std::map<NodeId, uint64_t> term_;
  // The last log index each node wrote; unknown right after a (re)start until its first
  // step has read the log back from disk.
  std::map<NodeId, std::optional<uint64_t>> last_index_;
  uint64_t elections_started_ = 0;
  uint64_t truncations_ = 0;
};

// One line of history.jsonl per client operation, in invocation order: client name, op,
// key, value (and expected for cas), invoke and completion times in simulated seconds
// (completion null: never answered), ok and result. `client_name` maps a client id to
// its endpoint name (c1, admin ...).
std::string history_jsonl(const std::vector<check::KvOperation>& ops,
                          const std::vector<Time>& invoked_at, const std::vector<Time>& answered_at,
                          const std::function<std::string(uint64_t)>& client_name);

}  // namespace cairn::sim
