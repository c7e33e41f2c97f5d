// The storage side of a simulated run (runtime-sim): names the simulated chunk clients,
// lends the `chunk_client` role its history sink, and judges the `durability` check: every
// chunk a coordinator acknowledged was read back at the end of the run with the right
// bytes. Holds no protocol logic.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/storage/chunk_workload.h"
#include "runtime-sim/scenario.h"
#include "runtime-sim/world.h"

namespace cairn::sim {

class StorageRun final : public storage::ChunkHistorySink {
 public:
  // Clients get ids first_id, first_id + 1, ...
  StorageRun(const Scenario& scenario, NodeId first_id);

  // The chunk clients s1..sK.
  std::vector<NodeSpec> client_specs() const;
  void add_hooks(Hooks& hooks);

  // ChunkHistorySink.
  void written(NodeId client, const storage::ChunkLayout& layout) override;
  void write_failed(NodeId client, const cas::Digest& digest, const absl::Status& status) override;
  void verified(NodeId client, const cas::Digest& digest, const absl::Status& status) override;

  CheckResult judge_durability() const;
  void add_metrics(std::map<std::string, double>& metrics) const;

 private:
  const Scenario& scenario_;
  const NodeId first_id_;
  uint64_t written_ = 0;
  uint64_t written_bytes_ = 0;
  uint64_t write_failures_ = 0;
  uint64_t verified_ok_ = 0;
  uint64_t verify_failures_ = 0;
  std::string first_failure_;
  std::string first_write_failure_;
};

}  // namespace cairn::sim
