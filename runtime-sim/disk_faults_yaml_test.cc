// The `disk:` fault of a scenario: every key parses to its field, mistakes say file:line.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "runtime-sim/scenario.h"

namespace cairn::sim {
namespace {

using namespace std::chrono_literals;

std::string with_faults(const std::string& faults) {
  return absl::StrCat("name: d\nduration: 60s\nplatform:\n  nodes: [{count: 4}]\nfaults:\n",
                      faults);
}

TEST(DiskFaultsYaml, EveryKeyParses) {
  auto s = parse_scenario_text(with_faults(R"(  - {at: 30s, disk: n3, bitrot: {files: 2}}
  - {at: 10s, disk: n2, slow: 10x, for: 20s}
  - {at: 5s, disk: n4, full: true}
  - {at: 1s, disk: all, read_errors: 1%, lost_writes: 0.001, misdirected_writes: 0.5%}
  - {at: 2s, disk: [n1, n2], capacity: 64MiB, slow: 5ms}
)"),
                               "d.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->faults.size(), 5u);  // sorted by time
  const Fault& rates = s->faults[0];
  EXPECT_EQ(rates.kind, FaultKind::kDisk);
  EXPECT_EQ(rates.nodes, (std::vector<NodeId>{1, 2, 3, 4}));
  EXPECT_DOUBLE_EQ(*rates.disk.read_errors, 0.01);
  EXPECT_DOUBLE_EQ(*rates.disk.lost_writes, 0.001);
  EXPECT_DOUBLE_EQ(*rates.disk.misdirected_writes, 0.005);
  EXPECT_FALSE(rates.disk.full.has_value());
  EXPECT_EQ(rates.line, 9);
  const Fault& cap = s->faults[1];
  EXPECT_EQ(cap.nodes, (std::vector<NodeId>{1, 2}));
  EXPECT_EQ(*cap.disk.capacity_bytes, 64u << 20);
  EXPECT_EQ(*cap.disk.slow_latency, 5ms);
  EXPECT_TRUE(*s->faults[2].disk.full);
  EXPECT_DOUBLE_EQ(*s->faults[3].disk.slow_factor, 10);
  EXPECT_EQ(s->faults[3].length, 20s);
  EXPECT_EQ(s->faults[4].disk.rot_files, 2u);
  EXPECT_EQ(s->faults[4].nodes, std::vector<NodeId>{3});
  const std::string plan = describe_faults(*s);
  EXPECT_NE(plan.find("disk: [n3], bitrot: {files: 2}"), std::string::npos) << plan;
  EXPECT_NE(plan.find("read_errors: 1%"), std::string::npos) << plan;
}

TEST(DiskFaultsYaml, MistakesNameTheirLine) {
  const std::vector<std::pair<std::string, std::string>> bad{
      {"  - {at: 1s, disk: n2, bitrott: {files: 1}}\n", "d.yaml:6: unknown key 'bitrott'"},
      {"  - {at: 1s, disk: n9, full: true}\n", "d.yaml:6: no node named 'n9'"},
      {"  - {at: 1s, disk: n1, read_errors: 120%}\n", "d.yaml:6: read_errors must be between"},
      {"  - {at: 1s, disk: n1, lost_writes: lots}\n", "d.yaml:6: lost_writes must be a percentage"},
      {"  - {at: 1s, disk: n1, slow: 0.5x}\n", "d.yaml:6: slow factor must be in"},
      {"  - {at: 1s, disk: n1, slow: fast}\n", "d.yaml:6: slow (a factor"},
      {"  - {at: 1s, disk: n1}\n", "d.yaml:6: a disk fault needs one of"},
      {"  - {at: 1s, disk: n1, bitrot: {files: 1}, for: 5s}\n", "d.yaml:6: 'for' does not apply"},
      {"  - {at: 1s, disk: n1, full: yes}\n", "d.yaml:6: full must be true or false"},
      {"  - {at: 1s, disk: n1, full: true, capacity: 1GiB}\n", "d.yaml:6: give either"},
      {"  - {at: 1s, disk: n1, crash: n2, full: true}\n", "d.yaml:6: unknown key 'crash'"},
      {"  - {at: 90s, disk: n1, full: true}\n", "d.yaml:6: fault at 90s is outside the run"},
      {"  - {disk: n1, full: true}\n", "d.yaml:6: a fault needs 'at'"},
  };
  for (const auto& [yaml, expect] : bad) {
    auto s = parse_scenario_text(with_faults(yaml), "d.yaml");
    ASSERT_FALSE(s.ok()) << yaml;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(std::string(s.status().message()).find(expect), std::string::npos)
        << yaml << " gave: " << s.status().message();
  }
}

// `lose_disk: true` on a crash: the node's disk comes back empty at its restart.
TEST(DiskLossYaml, ACrashMayLoseTheDisk) {
  auto s = parse_scenario_text(with_faults(R"(  - {at: 5s, crash: n2, lose_disk: true}
  - {at: 6s, crash: n3, lose_disk: false}
  - {at: 9s, restart: [n2, n3]}
)"),
                               "d.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->faults.size(), 3u);
  EXPECT_EQ(s->faults[0].kind, FaultKind::kCrash);
  EXPECT_TRUE(s->faults[0].lose_disk);
  EXPECT_FALSE(s->faults[1].lose_disk);
  EXPECT_FALSE(s->faults[2].lose_disk);
  const std::string plan = describe_faults(*s);
  EXPECT_NE(plan.find("{at: 5s, crash: [n2], lose_disk: true}"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("{at: 6s, crash: [n3], lose_disk"), std::string::npos) << plan;
}

TEST(DiskLossYaml, MistakesNameTheirLine) {
  const std::vector<std::pair<std::string, std::string>> bad{
      {"  - {at: 1s, crash: n1, lose_disk: yes}\n", "d.yaml:6: lose_disk must be true or false"},
      {"  - {at: 1s, restart: n1, lose_disk: true}\n",
       "d.yaml:6: 'lose_disk' does not apply to a restart fault"},
      {"  - {at: 1s, pause: n1, for: 1s, lose_disk: true}\n",
       "d.yaml:6: 'lose_disk' does not apply to a pause fault"},
      {"  - {at: 1s, disk: n1, lose_disk: true}\n", "d.yaml:6: unknown key 'lose_disk'"},
      {"  - {at: 1s, lose_disk: true}\n", "d.yaml:6: a fault needs exactly one of"},
      {"  - {at: 1s, crash: n1, lose_disk: true}\n  - {at: 2s, crash: n1, lose_disk: true}\n",
       "d.yaml:7: n1 is already down at 2s (crashed at 1s)"},
  };
  for (const auto& [yaml, expect] : bad) {
    auto s = parse_scenario_text(with_faults(yaml), "d.yaml");
    ASSERT_FALSE(s.ok()) << yaml;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(std::string(s.status().message()).find(expect), std::string::npos)
        << yaml << " gave: " << s.status().message();
  }
}

}  // namespace
}  // namespace cairn::sim
