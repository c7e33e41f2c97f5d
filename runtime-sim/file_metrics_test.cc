// The file run's latency figures in summary.json: per kind, and for gets also over those
// that found a file (a get of a path not written yet is answered by the namespace alone,
// so it would pull a mixed figure down).
#include <gtest/gtest.h>

#include "runtime-sim/fork_runner.h"
#include "runtime-sim/scenario.h"

namespace cairn::sim {
namespace {

// One client, one file: it gets the file 9 times per put, so its first gets (before the
// first put) find nothing and are fast; a disk sync of 5 ms makes found gets and puts slow
// enough to tell apart.
const char* kScenario = R"(name: file-metrics
seed: 5
duration: 4s
platform:
  nodes: [{count: 3, roles: [meta, storage]}]
  link: {latency: 100us}
  disk: {sync: 5ms, parallel: 1}
files: {clients: 1, concurrency: 1, mix: {put: 1, get: 9}, files: 1, shared: 0,
        size: {min: 4KiB, max: 4KiB}, start: 1s, until: 3s}
)";

TEST(FileMetrics, GetFiguresOverFoundFilesLeaveOutTheMisses) {
  auto s = parse_scenario_text(kScenario, "file-metrics.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  auto r = run_scenario_in_child(*s, RunOptions{});
  ASSERT_TRUE(r.ok()) << r.status();
  auto m = r->metrics;
  ASSERT_GT(m["file_get_ops"], 0);
  ASSERT_GT(m["file_get_found_ops"], 0);
  // Some gets came before the first put and found nothing: they are left out.
  EXPECT_LT(m["file_get_found_ops"], m["file_get_ops"]);
  EXPECT_LE(m["file_get_found_p50_ms"], m["file_get_found_p99_ms"]);
  EXPECT_GT(m["file_put_mean_ms"], 0);
  // A found get reads a chunk after its namespace lookup: slower than a miss, which is all
  // a get of nothing costs, so the mean over found gets is above the mean over all.
  EXPECT_GT(m["file_get_found_mean_ms"], m["file_get_mean_ms"]);
}

}  // namespace
}  // namespace cairn::sim
