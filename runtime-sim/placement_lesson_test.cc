// The placement lesson (scenarios/placement-join-leave.yaml) as a student runs it: its
// checks pass at its seed and its figures say what its comment says; flipping the policy
// with --set moves the figures the way the comment promises.
#include <gtest/gtest.h>

#include "runtime-sim/fork_runner.h"
#include "runtime-sim/scenario.h"

namespace cairn::sim {
namespace {

const std::string kFile = std::string(CAIRN_SOURCE_DIR) + "/scenarios/placement-join-leave.yaml";

RunResult run(const std::vector<std::string>& sets) {
  std::vector<SetOverride> overrides;
  for (const std::string& s : sets) overrides.push_back(*parse_set(s));
  auto scenario = parse_scenario_file(kFile, overrides);
  EXPECT_TRUE(scenario.ok()) << scenario.status();
  auto result = run_scenario_in_child(*scenario, RunOptions{});
  EXPECT_TRUE(result.ok()) << result.status();
  return *result;
}

double metric(const RunResult& r, const std::string& name) {
  auto it = r.metrics.find(name);
  EXPECT_NE(it, r.metrics.end()) << name;
  return it == r.metrics.end() ? -1 : it->second;
}

TEST(PlacementLesson, TheRingRunShowsWhatTheCommentSays) {
  const RunResult r = run({});
  EXPECT_TRUE(r.all_pass()) << r.checks.at("expect").detail;
  EXPECT_EQ(metric(r, "placement_changes"), 5);
  EXPECT_EQ(metric(r, "placement_moves_between_stayers"), 0);
  EXPECT_DOUBLE_EQ(metric(r, "placement_leave_moved_over_ideal_min"), 1.0);
  EXPECT_DOUBLE_EQ(metric(r, "placement_leave_moved_over_ideal_max"), 1.0);
  // The comment's figures at seed 1: joins at 0.84 to 1.06 of the fair share, the busiest
  // node up to 1.26 times the mean.
  EXPECT_NEAR(metric(r, "placement_join_moved_over_ideal_min"), 0.844, 0.001);
  EXPECT_NEAR(metric(r, "placement_join_moved_over_ideal_max"), 1.059, 0.001);
  EXPECT_NEAR(metric(r, "placement_load_max_over_mean_max"), 1.262, 0.001);
  // Same seed, same trace.
  EXPECT_EQ(run({}).trace_hash, r.trace_hash);
}

TEST(PlacementLesson, RendezvousMovesTheFairShareAndBalancesTheLoad) {
  const RunResult ring = run({});
  const RunResult hrw = run({"placement.policy=rendezvous"});
  EXPECT_NE(hrw.trace_hash, ring.trace_hash);
  EXPECT_LT(metric(hrw, "placement_load_max_over_mean_max"), 1.02);
  EXPECT_LT(metric(hrw, "placement_load_max_over_mean_max"),
            metric(ring, "placement_load_max_over_mean_max") - 0.2);
  EXPECT_GT(metric(hrw, "placement_join_moved_over_ideal_min"), 0.98);
  EXPECT_LT(metric(hrw, "placement_join_moved_over_ideal_max"), 1.02);
  EXPECT_EQ(metric(hrw, "placement_moves_between_stayers"), 0);
  // Only the ring's unevenness check fails, as the comment warns.
  EXPECT_FALSE(hrw.all_pass());
  EXPECT_NE(hrw.checks.at("expect").detail.find("placement_load_max_over_mean = "),
            std::string::npos);
  EXPECT_EQ(hrw.checks.at("expect").detail.find("placement_moved_over_ideal"), std::string::npos);
}

TEST(PlacementLesson, MoreVirtualNodesBringTheRingCloserToItsShare) {
  const RunResult ring = run({});
  const RunResult dense = run({"placement.vnodes=1000"});
  EXPECT_LT(metric(dense, "placement_load_max_over_mean_max"), 1.05);
  EXPECT_LT(metric(dense, "placement_load_max_over_mean_max"),
            metric(ring, "placement_load_max_over_mean_max"));
  EXPECT_GT(metric(dense, "placement_join_moved_over_ideal_min"), 0.95);
}

TEST(PlacementLesson, ModuloMovesMostShardsBetweenNodesThatStay) {
  const RunResult mod = run({"placement.policy=modulo"});
  EXPECT_GT(metric(mod, "placement_join_moved_over_ideal_min"), 5.0);
  EXPECT_GT(metric(mod, "placement_leave_moved_over_ideal_min"), 5.0);
  EXPECT_GT(metric(mod, "placement_moves_between_stayers"), 100000);
  EXPECT_FALSE(mod.all_pass());
}

}  // namespace
}  // namespace cairn::sim
