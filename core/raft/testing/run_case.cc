#include "core/raft/testing/run_case.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/raft/testing/cluster_harness.h"

namespace cairn::raft::testing {

Outcome run_case(const Schedule& s) {
  CAIRN_ASSERT(s.nodes > 0);
  ClusterOptions options;
  options.nodes = s.nodes;
  options.spares = s.spares;
  options.seed = s.seed;
  options.bug = s.bug;
  options.raft.max_entries_per_append = s.batch;
  Cluster cluster(options);
  std::vector<FaultEvent> events = s.events;
  std::stable_sort(events.begin(), events.end(),
                   [](const FaultEvent& a, const FaultEvent& b) { return a.at_step < b.at_step; });
  size_t next = 0;
  for (uint32_t step = 0; step < s.fault_steps && cluster.safety().ok(); ++step) {
    while (next < events.size() && events[next].at_step <= step) cluster.apply(events[next++]);
    cluster.step();
  }
  Outcome out;
  if (!cluster.safety().ok()) {  // stop at the first violation: shrinking stays fast
    out.failures = cluster.safety().violations();
    return out;
  }
  // Faults stop: heal the network, restart everyone, then demand progress.
  cluster.heal();
  cluster.set_network(NetworkConditions{});
  for (NodeId id = 1; id <= cluster.total_nodes(); ++id) cluster.restart(id);
  cluster.run(100);
  const bool live = cluster.write_completes_within(1500);
  cluster.set_load(false);
  cluster.run(200);  // let answers in flight arrive
  out.failures = cluster.check_all(&out.verdict);
  if (cluster.stalled()) {
    out.failures.push_back(absl::StrCat("message storm: ", cluster.delivered(), " deliveries"));
  }
  if (!live) out.failures.push_back("liveness: no write committed after the faults stopped");
  out.completed_ops = cluster.completed_ops();
  if (std::getenv("CAIRN_DEBUG") != nullptr) {
    std::fprintf(stderr, "case: %zu failures, %lu ops, %lu delivered\n", out.failures.size(),
                 out.completed_ops, cluster.delivered());
  }
  return out;
}

}  // namespace cairn::raft::testing
