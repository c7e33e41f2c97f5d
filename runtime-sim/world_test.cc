#include "runtime-sim/world.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "runtime-sim/fork_runner.h"

namespace cairn::sim {
namespace {

using std::chrono::seconds;

Scenario crash_and_restart(uint64_t seed) {
  Scenario s = make_cluster_scenario("crash-restart", 5, seconds(60));
  s.seed = seed;
  s.faults = {Fault{.at = seconds(20), .kind = FaultKind::kCrash, .nodes = {3}},
              Fault{.at = seconds(35), .kind = FaultKind::kRestart, .nodes = {3}}};
  s.checks["detection_time"].max_duration = seconds(5);
  s.checks["recovery_time"].max_duration = seconds(5);
  s.checks["false_suspicions"].max_count = 0;
  s.checks["converged"] = CheckSpec{};
  return s;
}

TEST(SimRuntime, CrashIsDetectedAndRestartRecognized) {
  auto r = run_scenario_in_child(crash_and_restart(7), RunOptions{});
  ASSERT_TRUE(r.ok()) << r.status();
  for (const auto& [name, c] : r->checks) {
    EXPECT_TRUE(c.pass) << name << ": " << c.detail;
    EXPECT_TRUE(c.judged) << name << ": " << c.detail;
  }
  EXPECT_EQ(r->checks["detection_time"].figures["count"], 4);  // four observers
  EXPECT_GT(r->metrics["messages_delivered"], 5 * 3 * 50);
  EXPECT_DOUBLE_EQ(r->sim_time_s, 60);
}

TEST(SimRuntime, SameSeedSameTraceOtherSeedOtherTrace) {
  auto a = run_scenario_in_child(crash_and_restart(7), RunOptions{});
  auto b = run_scenario_in_child(crash_and_restart(7), RunOptions{});
  auto c = run_scenario_in_child(crash_and_restart(8), RunOptions{});
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->trace_hash, b->trace_hash);
  EXPECT_NE(a->trace_hash, c->trace_hash);
  EXPECT_EQ(a->trace_hash.size(), 64u);
}

// A restart and a crash of the same node at the same instant: the crash used to kill the
// node's actor (and the workers its boot started) before SimGrid had run them, which
// crashed the simulator. Found by repair_properties_test (RC seed 1, case 17, shrunk).
TEST(SimRuntime, ARestartAndACrashAtTheSameInstant) {
  Scenario s = make_cluster_scenario("restart-crash", 3, seconds(20));
  s.faults = {Fault{.at = seconds(5), .kind = FaultKind::kCrash, .nodes = {1}},
              Fault{.at = seconds(7), .kind = FaultKind::kRestart, .nodes = {1}},
              Fault{.at = seconds(7), .kind = FaultKind::kCrash, .nodes = {1}},
              Fault{.at = seconds(10), .kind = FaultKind::kRestart, .nodes = {1}}};
  s.checks["converged"] = CheckSpec{};
  auto r = run_scenario_in_child(s, RunOptions{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->checks["converged"].pass) << r->checks["converged"].detail;
  // The same on a file store, where the boot reads the disk (the property's shrunk case).
  auto files = parse_scenario_text(R"(name: repair-property-case
seed: 0
duration: 129s
platform:
  zones: [a, b, c]
  nodes:
    - {count: 3, roles: [membership, meta, storage], zone: spread}
    - {count: 4, roles: [membership, storage], zone: spread}
membership: {heartbeat: 500ms}
storage: {data_shards: 3, parity_shards: 2, replicas: 3, replicate_below: 32KiB}
files: {clients: 1, rate: 2/s, size: {min: 1KiB, max: 16KiB}, chunk: 64KiB, until: 30s, verify: 114s}
faults:
  - {at: 5s, crash: [n1]}
  - {at: 7s, restart: [n1]}
  - {at: 7s, crash: [n1]}
  - {at: 27s, restart: [n1]}
checks: {durability: {}, raft_safety: {}, redundancy: {max: 45s, from: last_fault}}
)",
                                   "case.yaml");
  ASSERT_TRUE(files.ok()) << files.status();
  r = run_scenario_in_child(*files, RunOptions{});
  ASSERT_TRUE(r.ok()) << r.status();
  for (const auto& [name, c] : r->checks) EXPECT_TRUE(c.pass) << name << ": " << c.detail;
}

// Progress reports read the wall clock only: reporting at every chance changes nothing.
TEST(SimRuntime, ProgressReportsDoNotChangeTheTrace) {
  RunOptions quiet_run;
  RunOptions watched;
  watched.progress_interval_s = 0;
  const std::string log = ::testing::TempDir() + "/progress-" + std::to_string(getpid());
  watched.on_progress = [log](double sim_s, double end_s, double wall_s) {
    static double last = -1;
    // Runs in the child: a broken promise aborts it, which the parent sees as an error.
    if (sim_s < last || sim_s > end_s || end_s != 60 || wall_s < 0) std::abort();
    last = sim_s;
    if (std::FILE* f = std::fopen(log.c_str(), "a")) {
      std::fprintf(f, "%.9f\n", sim_s);
      std::fclose(f);
    }
  };
  auto a = run_scenario_in_child(crash_and_restart(7), quiet_run);
  auto b = run_scenario_in_child(crash_and_restart(7), watched);
  ASSERT_TRUE(a.ok() && b.ok()) << (a.ok() ? b.status() : a.status());
  EXPECT_EQ(a->trace_hash, b->trace_hash);
  std::ifstream in(log);
  std::vector<double> reports;
  for (double t; in >> t;) reports.push_back(t);
  std::remove(log.c_str());
  EXPECT_GT(reports.size(), 10u);  // every check reports at interval 0
  ASSERT_FALSE(reports.empty());
  EXPECT_DOUBLE_EQ(reports.back(), 60);  // and once at the end
}

TEST(SimRuntime, PartitionIsDetectedAndHealed) {
  Scenario s = make_cluster_scenario("partition", 5, seconds(80));
  s.faults = {
      Fault{.at = seconds(20), .kind = FaultKind::kPartition, .groups = {{1, 2}, {3, 4, 5}}},
      Fault{.at = seconds(40), .kind = FaultKind::kHeal}};
  s.checks["heal_time"].max_duration = seconds(10);
  s.checks["false_deaths"].max_count = 0;
  s.checks["converged"] = CheckSpec{};
  auto r = run_scenario_in_child(s, RunOptions{});
  ASSERT_TRUE(r.ok()) << r.status();
  for (const auto& [name, c] : r->checks) EXPECT_TRUE(c.pass) << name << ": " << c.detail;
  EXPECT_GT(r->metrics["messages_blocked"], 0);
  EXPECT_GT(r->metrics["membership_deaths_declared"], 0);
}

TEST(SimRuntime, HeavyLossCausesFalseSuspicionsThatTheCheckCatches) {
  Scenario s = make_cluster_scenario("lossy", 5, seconds(60));
  s.network.loss = 0.3;
  s.checks["false_suspicions"].max_count = 0;
  auto r = run_scenario_in_child(s, RunOptions{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->checks["false_suspicions"].pass);
  EXPECT_GT(r->metrics["messages_lost"], 0);
}

TEST(SimRuntime, ForkRunnerReportsAChildThatDies) {
  auto r = run_in_child([]() -> std::string { std::abort(); });
  EXPECT_FALSE(r.ok());
  EXPECT_NE(std::string(r.status().message()).find("signal"), std::string::npos);
}

TEST(SimRuntime, ResultEncodingRoundTrips) {
  RunResult r;
  r.scenario = "x";
  r.seed = 3;
  r.trace_hash = "ab";
  r.checks["c"] = CheckResult{false, true, "detail with\ttab", {{"max_s", 1.5}}};
  r.metrics["m"] = 2;
  auto back = decode_result(encode_result(r));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->checks["c"].pass, false);
  EXPECT_EQ(back->checks["c"].figures["max_s"], 1.5);
  EXPECT_EQ(back->metrics["m"], 2);
  EXPECT_FALSE(decode_result("garbage").ok());
}

}  // namespace
}  // namespace cairn::sim
