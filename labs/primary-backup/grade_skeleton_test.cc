// The student's file as shipped (pb_server.cc) compiles, and grading it fails every
// scenario with output a student can act on: the failed check and what it saw, a hint, and
// the cairn-sim command that replays the run.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "labs/labs.h"
#include "labs/primary-backup/grade_testing.h"

namespace cairn::labs::pb {
namespace {

TEST(PrimaryBackupSkeleton, FailsEveryScenarioWithWhatFailedAndHowToReplayIt) {
  const RoleRegistry roles = roles_with_labs();
  GradeOptions o = grade_options_for_test(roles, "pb-skeleton");
  o.seeds = {1};
  const GradeReport r = grade(o);
  std::printf("%s", r.text.c_str());  // the report a student would read
  EXPECT_EQ(r.runs, 7);
  EXPECT_EQ(r.passed, 0) << r.text;
  for (const char* name : {"1-no-faults", "2-backup-crash", "3-primary-crash", "4-partition",
                           "5-lossy-links", "6-slow-state-transfer", "7-stale-primary"}) {
    EXPECT_NE(r.text.find(std::string("FAIL  ") + name), std::string::npos) << name << r.text;
    const std::string replay = std::string("replay: build/runtime-sim/cairn-sim run ") +
                               o.scenarios_dir + "/" + name + ".yaml --seed 1";
    EXPECT_NE(r.text.find(replay), std::string::npos) << replay << "\n" << r.text;
  }
  // The skeleton answers every client "unavailable": no write is ever acknowledged.
  EXPECT_NE(r.text.find("progress: 0 writes acknowledged, want >= 1000"), std::string::npos)
      << r.text;
  EXPECT_NE(r.text.find("hint: operations did not complete"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("0 of 7 runs passed"), std::string::npos) << r.text;
  std::filesystem::remove_all(o.out_dir);
}

}  // namespace
}  // namespace cairn::labs::pb
