// A deterministic in-memory Raft cluster (test tool, not a runtime). It delivers messages
// between N Raft state machines with a seeded generator and can drop, duplicate, delay
// (and so reorder) messages, partition the network, crash nodes (losing every Ready not
// yet persisted) and restart them from their MemoryStorage. Simulated clients run a
// key-value workload (writes through the log with sessions, reads through ReadIndex or the
// log) and their history, plus every Raft event, feed the checkers in core/check.
//
// Time is a step counter; every `steps_per_tick` steps each live node ticks. The same
// options and seed always give the same run.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/check/linearizability.h"
#include "core/check/raft_safety.h"
#include "core/kv/kv_state_machine.h"
#include "core/raft/raft.h"
#include "core/raft/testing/schedule.h"

namespace cairn::raft::testing {

struct ClusterOptions {
  uint32_t nodes = 3;   // initial voters 1..nodes
  uint32_t spares = 0;  // ids nodes+1..nodes+spares, down until added
  uint64_t seed = 1;
  Config raft;           // template; id, peers and random_seed are filled per node
  Bug bug = Bug::kNone;  // planted in every node at every start (see faults.h)
  uint32_t steps_per_tick = 4;
  uint32_t clients = 3;
  uint32_t keys = 2;
  uint32_t compact_every = 24;        // applied entries between local snapshots; 0: never
  uint32_t defer_ready_percent = 20;  // chance a Ready waits a step (lost on crash)
  uint32_t client_timeout_steps = 80;
  uint32_t client_issue_percent = 30;
  uint32_t max_in_flight = 20000;    // messages on the wire; more are dropped
  uint64_t max_deliveries = 200000;  // budget: a livelock stops the run (see stalled())
};

struct NetworkConditions {
  uint32_t loss_percent = 0;
  uint32_t duplicate_percent = 0;
  uint32_t max_extra_delay = 0;  // steps
};

class Cluster {
 public:
  explicit Cluster(const ClusterOptions& options);
  ~Cluster();

  void step();
  void run(uint32_t steps);
  void apply(const FaultEvent& e);

  void crash(NodeId id);
  void restart(NodeId id);
  void isolate(NodeId id);
  void partition(uint32_t mask);
  void heal();
  void set_network(const NetworkConditions& conditions) { network_ = conditions; }
  void set_load(bool on) { load_ = on; }
  absl::Status transfer_leadership(NodeId to);
  absl::Status add_learner(NodeId id);
  absl::Status promote(NodeId id);
  absl::Status remove(NodeId id);

  // The live leader with the highest term, or kNoNode.
  NodeId leader() const;
  Raft* node(NodeId id);
  bool is_up(NodeId id) const;
  uint64_t now() const { return now_; }
  uint32_t total_nodes() const { return options_.nodes + options_.spares; }

  // Issues one put from a dedicated client and runs until it is answered; returns whether
  // that happened within `max_steps`.
  bool write_completes_within(uint32_t max_steps);

  const check::RaftSafetyChecker& safety() const { return safety_; }
  const std::vector<check::KvOperation>& history() const { return history_; }
  // Safety violations plus the linearizability verdict of the client history.
  std::vector<std::string> check_all(check::LinVerdict* verdict = nullptr) const;
  uint64_t completed_ops() const { return completed_ops_; }
  uint64_t delivered() const { return delivered_; }
  // The delivery budget is spent: step() does nothing any more.
  bool stalled() const { return delivered_ >= options_.max_deliveries; }

 private:
  struct Slot {
    MemoryStorage disk;  // survives crashes
    std::unique_ptr<Raft> raft;
    std::unique_ptr<kv::KvStateMachine> kv;
    uint64_t leader_term = 0;
    std::map<uint64_t, size_t> reads;  // ReadIndex request id -> client index
    std::vector<ReadState> ready_reads;
  };

  struct Client {
    uint64_t id = 0;
    uint64_t seq = 0;
    bool busy = false;
    size_t op = 0;  // index in history_
    NodeId target = kNoNode;
    NodeId hint = kNoNode;
    uint64_t retry_at = 0;
    uint64_t read_id = 0;
    bool via_read_index = false;
    kv::wire::KvCommand command;
  };
  struct InFlight {
    uint64_t deliver_at;
    uint64_t seq;
    wire::Message message;
  };

  Slot& slot(NodeId id);
  Config node_config(NodeId id) const;
  void start(NodeId id);
  void deliver_due();
  void send(const wire::Message& m);
  bool connected(NodeId a, NodeId b) const;
  void after_input(NodeId id);
  void handle_ready(NodeId id);
  void apply_committed(NodeId id, const wire::Entry& e);
  void serve_reads(NodeId id);
  void maybe_compact(NodeId id);
  void record_leader(NodeId id);
  void run_clients();
  void issue(Client& c);
  void submit(Client& c);
  void complete(Client& c, bool ok, const std::string& output);
  NodeId pick_target(const Client& c);
  uint64_t random(uint64_t n) { return rng_.below(n); }

  static constexpr size_t kMaxReadsPerNode = 4096;

  ClusterOptions options_;
  SplitMix64 rng_;
  uint64_t now_ = 0;
  uint64_t clock_ = 0;  // history times: unique, increasing
  uint64_t seq_ = 0;
  bool load_ = true;
  NetworkConditions network_;
  std::map<NodeId, std::unique_ptr<Slot>> slots_;
  std::map<NodeId, uint32_t> group_;                             // partition side of each node
  std::map<std::pair<uint64_t, uint64_t>, wire::Message> wire_;  // (deliver_at, seq)
  std::vector<std::unique_ptr<Client>> clients_;
  uint64_t next_read_id_ = 0;
  uint64_t completed_ops_ = 0;
  uint64_t delivered_ = 0;
  bool trace_ = false;  // CAIRN_TRACE set: print elections and applies to stderr
  check::RaftSafetyChecker safety_;
  std::vector<check::KvOperation> history_;
  std::vector<std::vector<std::string>> values_;  // per key: values written so far
};

}  // namespace cairn::raft::testing
