// The grading catches a backup that accepts forwards from any sender and view: the
// reference solution with that one mistake planted passes every scenario but
// 7-stale-primary, where a cut-off primary of an old view gets its writes confirmed by its
// old backup, now backup to another primary, and the linearizable check fails.
#include <gtest/gtest.h>

#include "labs/primary-backup/grade_testing.h"

namespace cairn::labs::pb {
namespace {

TEST(PrimaryBackupPlantedBug, AnyForwardFailsTheStalePrimaryScenarioOnly) {
  expect_caught_only_by("pb-planted-any-forward", {{"7-stale-primary", {1, 2, 3}}});
}

}  // namespace
}  // namespace cairn::labs::pb
