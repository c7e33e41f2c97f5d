// What the grading tests share: options that grade the lab's scenarios from the source
// tree into a temporary folder, with the roles of this build (student, reference or planted
// bug: whichever server the test executable links).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "labs/primary-backup/grade.h"

namespace cairn::labs::pb {

inline GradeOptions grade_options_for_test(const RoleRegistry& roles, const std::string& name) {
  GradeOptions o;
  o.scenarios_dir = std::string(CAIRN_SOURCE_DIR) + "/labs/primary-backup/scenarios";
  o.out_dir = ::testing::TempDir() + "/" + name;
  o.roles = &roles;
  return o;
}

}  // namespace cairn::labs::pb
