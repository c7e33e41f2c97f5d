// What the grading tests share: options that grade the lab's scenarios from the source
// tree into a temporary folder, with the roles of this build (student, reference or planted
// bug: whichever server the test executable links).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "labs/labs.h"
#include "labs/primary-backup/grade.h"

namespace cairn::labs::pb {

inline GradeOptions grade_options_for_test(const RoleRegistry& roles, const std::string& name) {
  GradeOptions o;
  o.scenarios_dir = std::string(CAIRN_SOURCE_DIR) + "/labs/primary-backup/scenarios";
  o.out_dir = ::testing::TempDir() + "/" + name;
  o.roles = &roles;
  return o;
}

// The failed runs of a report, scenario name -> seeds, read from its "FAIL  NAME  seed N"
// lines.
inline std::map<std::string, std::vector<uint64_t>> failed_runs(const GradeReport& report) {
  std::map<std::string, std::vector<uint64_t>> out;
  std::istringstream lines(report.text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string fail, name, seed_word;
    uint64_t seed = 0;
    if (words >> fail >> name >> seed_word >> seed && fail == "FAIL" && seed_word == "seed") {
      out[name].push_back(seed);
    }
  }
  return out;
}

// Grades this build's server (a planted mistake) at the default seeds, prints the report a
// student would read, and expects exactly the runs of `failed` to fail, each on its
// linearizable check.
inline void expect_caught_only_by(const std::string& name,
                                  const std::map<std::string, std::vector<uint64_t>>& failed) {
  const RoleRegistry roles = roles_with_labs();
  GradeOptions o = grade_options_for_test(roles, name);
  const GradeReport r = grade(o);
  std::printf("%s", r.text.c_str());
  EXPECT_EQ(r.runs, 21);  // 7 scenarios x seeds 1, 2, 3
  EXPECT_EQ(failed_runs(r), failed) << r.text;
  for (const auto& [scenario, seeds] : failed) {
    for (uint64_t seed : seeds) {
      char head[128];
      std::snprintf(head, sizeof(head), "FAIL  %-18s seed %d\n        linearizable: NOT",
                    scenario.c_str(), static_cast<int>(seed));
      EXPECT_NE(r.text.find(head), std::string::npos) << head << "\n" << r.text;
    }
  }
  std::filesystem::remove_all(o.out_dir);
}

}  // namespace cairn::labs::pb
