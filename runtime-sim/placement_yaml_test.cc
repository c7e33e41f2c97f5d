// The placement lesson's parts of a scenario: `placement:` and the join / leave faults parse
// to their fields, `--set` flips the policy, and mistakes say file:line.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "core/roles/builtin.h"
#include "runtime-sim/scenario.h"

namespace cairn::sim {
namespace {

using namespace std::chrono_literals;

std::string lesson(const std::string& placement, const std::string& faults) {
  return absl::StrCat("name: p\nduration: 60s\nplatform:\n  nodes: [{count: 6, roles: []}]\n",
                      placement, "faults:\n", faults);
}

const char* kPlacement = "placement: {policy: ring, vnodes: 16, stripes: 500, shards: 3}\n";

TEST(PlacementYaml, SectionAndChangesParse) {
  auto s = parse_scenario_text(lesson(kPlacement, R"(  - {at: 20s, leave: [n2, n3]}
  - {at: 10s, join: n6}
  - {at: 30s, join: n2}
)"),
                               "p.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->placement.enabled);
  EXPECT_EQ(s->placement.policy.kind, placement::PolicyKind::kRing);
  EXPECT_EQ(s->placement.policy.vnodes, 16);
  EXPECT_EQ(s->placement.stripes, 500);
  EXPECT_EQ(s->placement.shards, 3);
  ASSERT_EQ(s->faults.size(), 3u);  // sorted by time
  EXPECT_EQ(s->faults[0].kind, FaultKind::kJoin);
  EXPECT_EQ(s->faults[0].nodes, std::vector<NodeId>{6});
  EXPECT_EQ(s->faults[0].line, 8);
  EXPECT_EQ(s->faults[1].kind, FaultKind::kLeave);
  EXPECT_EQ(s->faults[1].nodes, (std::vector<NodeId>{2, 3}));
  EXPECT_EQ(s->faults[1].at, 20s);
  // n6 first joins, so it starts outside; n2 first leaves, so it starts inside.
  EXPECT_EQ(initial_placement_nodes(*s), (std::vector<NodeId>{1, 2, 3, 4, 5}));
  const std::string plan = describe_faults(*s);
  EXPECT_NE(plan.find("{at: 10s, join: [n6]}"), std::string::npos) << plan;
  EXPECT_NE(plan.find("{at: 20s, leave: [n2, n3]}"), std::string::npos) << plan;
}

TEST(PlacementYaml, DefaultsAndSetOverrides) {
  auto s = parse_scenario_text(lesson("placement: {}\n", "  - {at: 10s, join: n6}\n"), "p.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->placement.policy.kind, placement::PolicyKind::kRing);
  EXPECT_EQ(s->placement.policy.vnodes, 200);
  EXPECT_EQ(s->placement.stripes, 20000);
  EXPECT_EQ(s->placement.shards, 3);
  auto set = parse_set("placement.policy=rendezvous");
  ASSERT_TRUE(set.ok());
  auto flipped = parse_scenario_text(lesson(kPlacement, "  - {at: 10s, join: n6}\n"), "p.yaml",
                                     builtin_roles(), {*set});
  ASSERT_TRUE(flipped.ok()) << flipped.status();
  EXPECT_EQ(flipped->placement.policy.kind, placement::PolicyKind::kRendezvous);
  EXPECT_EQ(flipped->placement.policy.vnodes, 16);  // kept, used by the ring only
}

TEST(PlacementYaml, MistakesNameTheirLine) {
  const std::vector<std::tuple<std::string, std::string, std::string>> bad{
      {"placement: {policy: chord}\n", "  - {at: 1s, join: n6}\n",
       "p.yaml:5: unknown placement policy 'chord' (known: ring, rendezvous, modulo)"},
      {"placement: {vnodes: 0}\n", "  - {at: 1s, join: n6}\n", "p.yaml:5: vnodes"},
      {"placement: {replicas: 3}\n", "  - {at: 1s, join: n6}\n",
       "p.yaml:5: unknown key 'replicas'"},
      {"", "  - {at: 1s, join: n6}\n", "p.yaml:6: join needs a placement: section"},
      {kPlacement, "  - {at: 1s, join: n9}\n", "p.yaml:7: no node named 'n9'"},
      {kPlacement, "  - {at: 1s, join: [n6, n6]}\n", "p.yaml:7: n6 is listed twice"},
      {kPlacement, "  - {at: 1s, join: n6, leave: n1}\n", "p.yaml:7: a fault is either a join"},
      {kPlacement, "  - {at: 1s, join: n6, for: 2s}\n", "p.yaml:7: unknown key 'for'"},
      {kPlacement, "  - {join: n6}\n", "p.yaml:7: a fault needs 'at'"},
      {kPlacement, "  - {at: 1s, join: n6}\n  - {at: 2s, join: n6}\n",
       "p.yaml:8: n6 is already placed at 2s (it joined at 1s)"},
      {kPlacement, "  - {at: 1s, leave: n1}\n  - {at: 2s, leave: n1}\n",
       "p.yaml:8: n1 is not placed at 2s: nothing to leave"},
      {kPlacement, "  - {at: 1s, leave: [n1, n2, n3, n4]}\n",
       "p.yaml:7: after this leave 2 nodes are placed, fewer than the 3 shards of a stripe"},
      {"placement: {shards: 8}\n", "  - {at: 1s, leave: n1}\n",
       "p.yaml:5: 6 nodes are placed at the start, fewer than the 8 shards"},
      {kPlacement, "  - {at: 70s, join: n6}\n", "p.yaml:7: fault at 70s is outside the run"},
  };
  for (const auto& [placement, faults, want] : bad) {
    auto s = parse_scenario_text(lesson(placement, faults), "p.yaml");
    ASSERT_FALSE(s.ok()) << placement << faults;
    EXPECT_NE(std::string(s.status().message()).find(want), std::string::npos)
        << s.status().message() << "\nwanted: " << want;
  }
}

}  // namespace
}  // namespace cairn::sim
