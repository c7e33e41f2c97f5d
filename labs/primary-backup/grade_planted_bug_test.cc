// The grading catches a classic mistake: the reference solution with one planted bug (the
// primary answers reads from its own store instead of through its backup) passes every
// scenario but 4-partition, where the cut-off primary serves a stale read after the new
// primary acknowledged a write, and the linearizable check fails.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "labs/labs.h"
#include "labs/primary-backup/grade_testing.h"

namespace cairn::labs::pb {
namespace {

TEST(PrimaryBackupPlantedBug, LocalReadsFailThePartitionScenarioOnly) {
  const RoleRegistry roles = roles_with_labs();
  GradeOptions o = grade_options_for_test(roles, "pb-planted");
  const GradeReport r = grade(o);
  std::printf("%s", r.text.c_str());  // the report a student would read
  EXPECT_EQ(r.runs, 21);
  // Seeds 1 and 2 show the stale read; at seed 3 no client happens to read from the
  // cut-off primary after a newer write.
  EXPECT_EQ(r.passed, 19) << r.text;
  const std::map<std::string, std::vector<uint64_t>> want{{"4-partition", {1, 2}}};
  EXPECT_EQ(failed_runs(r), want) << r.text;
  EXPECT_NE(r.text.find("FAIL  4-partition        seed 1\n        linearizable: NOT linearizable"),
            std::string::npos)
      << r.text;
  EXPECT_NE(r.text.find("FAIL  4-partition        seed 2\n        linearizable: NOT linearizable"),
            std::string::npos)
      << r.text;
  EXPECT_NE(r.text.find("hint: a client saw a result that no single order"), std::string::npos);
  std::filesystem::remove_all(o.out_dir);
}

}  // namespace
}  // namespace cairn::labs::pb
