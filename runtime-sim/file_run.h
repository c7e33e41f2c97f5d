// The file-store side of a simulated run (runtime-sim): names the simulated file clients,
// lends the `file_client` role its history sink, keeps every file operation with its
// invocation and answer times, and judges two checks:
//   - durability: every path whose final state the history fixes (its last write was
//     acknowledged and overlapped no other write) reads back at the end as that write left
//     it, byte for byte; every read-back, and every get during the run, returns exactly the
//     bytes that were put for the version it names;
//   - namespace_linearizable: per path, the history is linearizable against a register
//     holding a version's content (or nothing); put is a write, put IF_ABSENT and
//     IF_VERSION conditional writes, rm a delete, mv a delete of its source and a write of
//     its destination, get/stat/ls reads. Operations that timed out may or may not have
//     happened. A path touched by a timed-out mv, whose content nobody saw, is left out.
// It also reports latency percentiles per operation kind. Holds no protocol logic.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/check/linearizability.h"
#include "core/client/file_workload.h"
#include "runtime-sim/scenario.h"
#include "runtime-sim/world.h"

namespace cairn::sim {

class FileRun final : public client::FileHistorySink {
 public:
  // Clients get ids first_id, first_id + 1, ...
  FileRun(const Scenario& scenario, NodeId first_id);

  // The file clients f1..fK.
  std::vector<NodeSpec> client_specs() const;
  void add_hooks(Hooks& hooks);

  // FileHistorySink.
  uint64_t invoke(NodeId client, const client::FileOpRecord& op) override;
  void complete(uint64_t handle, const client::FileOpOutcome& outcome) override;

  CheckResult judge_durability() const;
  CheckResult judge_linearizable(const CheckSpec& spec) const;
  void add_metrics(std::map<std::string, double>& metrics) const;
  // One line per operation kind: count, errors, p50 and p99 latency.
  std::string latency_report() const;

  // The per-path history the linearizability check judges (for tests), and the paths left
  // out of it.
  std::vector<check::KvOperation> register_history(std::set<std::string>* left_out) const;

 private:
  struct Op {
    NodeId client = kNoNode;
    client::FileOpRecord record;
    client::FileOpOutcome outcome;
    uint64_t call = 0;
    uint64_t ret = 0;  // 0: no answer
    Time invoked, answered;
  };
  struct Writes;  // file_run.cc

  std::map<uint64_t, cas::Digest> versions() const;  // version -> content, as observed
  std::string client_name(NodeId id) const;

  const Scenario& scenario_;
  const NodeId first_id_;
  std::vector<Op> ops_;
  uint64_t clock_ = 0;  // logical times: unique, in real-time order
};

}  // namespace cairn::sim
