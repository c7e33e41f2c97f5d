// The `redundancy` check (runtime-sim): does repair put every lost shard back, and soon
// enough? Samples, at every metrics interval, the ground truth: the meta leader's chunk
// table (as applied there) against the storage nodes' shard stores. A shard is degraded
// when its node is down or its node's store does not hold it. Passes when, after the first
// sample with a degraded shard, a sample within `max` finds none and none is degraded
// again until the end of the run. With a start time (`from: last_fault`), samples before it
// do not start the clock: a run with many faults is judged on how soon it is whole after
// the last one (a shard degraded since before then counts from then). Each sample also
// counts stripes by how many more shards they could lose, for metrics.csv
// (analysis/plot_repair.py draws them). Holds no protocol
// logic; reads nodes through their types.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/runtime/time.h"
#include "runtime-sim/world.h"

namespace cairn::sim {

class SimNode;

class RedundancyProbe {
 public:
  explicit RedundancyProbe(Time from = Time{}) : from_(from) {}

  // Counts degraded shards now; skips the sample when no meta leader is found.
  void sample(Time now, const std::vector<SimNode*>& nodes);
  CheckResult judge(Duration max) const;

  // The last sample: stripes by spare shards (intact shards on live nodes minus the k a
  // read needs; -1 for every stripe that has fewer than k), with 0 for every count seen
  // in an earlier sample, so a reader carrying values forward sees it fall to 0.
  const std::map<int, uint64_t>& spares() const { return spares_; }
  uint64_t degraded() const { return last_degraded_; }

 private:
  Time from_;                          // the clock starts no earlier
  bool degraded_before_from_ = false;  // the last sample before from_ found a degraded shard
  std::optional<Time> first_degraded_;
  std::optional<Time> healed_;  // the first clean sample since the last degraded one
  std::optional<Time> last_sample_;
  uint64_t max_degraded_ = 0;
  uint64_t chunks_ = 0;  // in the last sample
  uint64_t last_degraded_ = 0;
  std::string last_example_;  // one degraded shard of the last sample
  std::map<int, uint64_t> spares_;
};

}  // namespace cairn::sim
