// pb-grade: grades the primary-backup lab (labs/primary-backup/README.md).
//
//   pb-grade [--seeds 1,2,3] [--scenarios DIR] [--out DIR]
//
// Run it from the top of the repository. Exit status: 0 every run passed, 1 a run failed,
// 2 bad usage.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "labs/labs.h"
#include "labs/primary-backup/grade.h"

int main(int argc, char** argv) {
  cairn::labs::pb::GradeOptions o;
  const cairn::RoleRegistry roles = cairn::labs::roles_with_labs();
  o.roles = &roles;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc || (arg != "--seeds" && arg != "--scenarios" && arg != "--out")) {
      std::fprintf(stderr, "usage: pb-grade [--seeds 1,2,3] [--scenarios DIR] [--out DIR]\n");
      return 2;
    }
    const std::string value = argv[++i];
    if (arg == "--scenarios") o.scenarios_dir = value;
    if (arg == "--out") o.out_dir = value;
    if (arg != "--seeds") continue;
    o.seeds.clear();
    for (absl::string_view part : absl::StrSplit(value, ',')) {
      uint64_t seed = 0;
      if (!absl::SimpleAtoi(part, &seed)) {
        std::fprintf(stderr, "--seeds: '%s' is not a list of seeds such as 1,2,3\n", value.c_str());
        return 2;
      }
      o.seeds.push_back(seed);
    }
  }
  const cairn::labs::pb::GradeReport r = cairn::labs::pb::grade(o);
  std::fputs(r.text.c_str(), stdout);
  return r.all_pass() ? 0 : 1;
}
