// The grading catches a primary that acknowledges its view before the new backup holds the
// store: the reference solution with that one mistake planted passes every scenario but
// 6-slow-state-transfer, where the view service promotes the empty backup once the primary
// is cut off, and the linearizable check fails.
#include <gtest/gtest.h>

#include "labs/primary-backup/grade_testing.h"

namespace cairn::labs::pb {
namespace {

TEST(PrimaryBackupPlantedBug, EarlyAckFailsTheSlowStateTransferScenarioOnly) {
  expect_caught_only_by("pb-planted-early-ack", {{"6-slow-state-transfer", {1, 2, 3}}});
}

}  // namespace
}  // namespace cairn::labs::pb
