// `--set key=value` overrides: how a path is followed and where a mistake is reported.
#include <gtest/gtest.h>

#include "core/roles/builtin.h"
#include "runtime-sim/scenario.h"

namespace cairn::sim {
namespace {

using std::chrono::seconds;

const char* kBase = R"(name: demo
duration: 120s
platform:
  nodes: [{count: 3, roles: [membership]}]
membership:
faults:
  - {at: 20s, crash: n3}
  - {at: 50s, restart: n3}
checks:
  detection_time: {max: 5s}
)";

// kBase's `membership:` is empty, which the reader refuses: the first override fills it.
absl::StatusOr<Scenario> parse_with(std::vector<std::string> args) {
  args.insert(args.begin(), "membership.heartbeat=1s");
  std::vector<SetOverride> sets;
  for (const std::string& a : args) {
    auto o = parse_set(a);
    EXPECT_TRUE(o.ok()) << o.status();
    if (o.ok()) sets.push_back(*o);
  }
  return parse_scenario_text(kBase, "demo.yaml", builtin_roles(), sets);
}

TEST(ScenarioSet, SplitsKeyAndValue) {
  auto o = parse_set("raft.election_timeout=[300ms,600ms]");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->key, "raft.election_timeout");
  EXPECT_EQ(o->value, "[300ms,600ms]");
  EXPECT_EQ(parse_set("a=b=c")->value, "b=c");
  EXPECT_EQ(parse_set("seed").status().message(),
            "--set seed: expected key=value (e.g. --set seed=3)");
  EXPECT_EQ(parse_set("=1").status().message(), "--set =1: the key before '=' is empty");
  EXPECT_FALSE(parse_set("a..b=1").ok());
  EXPECT_FALSE(parse_set("a.=1").ok());
}

TEST(ScenarioSet, ReplacesAddsAndIndexesLists) {
  auto s = parse_with({"seed=9", "faults.0.at=25s", "checks.detection_time.max=2s",
                       "membership.heartbeat=500ms", "description=from the command line"});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->seed, 9u);
  EXPECT_EQ(s->faults[0].at, seconds(25));
  EXPECT_EQ(*s->checks["detection_time"].max_duration, seconds(2));
  EXPECT_EQ(s->description, "from the command line");
  EXPECT_EQ(s->membership().heartbeat_interval, std::chrono::milliseconds(500));
  // Later overrides win; a mapping value replaces the whole entry.
  s = parse_with({"seed=9", "seed=10", "checks.detection_time={max: 3s}"});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->seed, 10u);
  EXPECT_EQ(*s->checks["detection_time"].max_duration, seconds(3));
}

TEST(ScenarioSet, MistakesNameTheOverride) {
  struct Case {
    std::vector<std::string> args;
    std::string expect;
  } cases[] = {
      {{"seed=1", "membership.hartbeat=1s"},
       "--set membership.hartbeat=1s: unknown key 'hartbeat'"},
      {{"seed=abc"}, "--set seed=abc: seed must be a whole number"},
      {{"faults.2.at=1s"}, "--set faults.2.at=1s: 'faults' is a list of 2 entries"},
      {{"faults.x.at=1s"}, "'x' is not one of its indexes"},
      {{"duration.x=1"}, "--set duration.x=1: 'duration' is a single value, so it has no 'x'"},
      {{"seed.x=1"}, "--set seed.x=1: seed must be a single value"},
      {{"faults.0.crash=n9"}, "--set faults.0.crash=n9: no node named 'n9'"},
      {{"seed=[1"}, "--set seed=[1: the value is not valid YAML"},
  };
  for (const Case& c : cases) {
    auto s = parse_with(c.args);
    ASSERT_FALSE(s.ok()) << c.expect;
    EXPECT_NE(s.status().message().find(c.expect), std::string::npos)
        << c.expect << " | " << s.status().message();
  }
  // A mistake of the file itself keeps its file:line.
  const std::string plain(
      parse_scenario_text(kBase, "demo.yaml", builtin_roles(), {}).status().message());
  EXPECT_EQ(plain.rfind("demo.yaml:", 0), 0u) << plain;
  auto s = parse_with({"faults.0.at=-1s"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message().rfind("--set faults.0.at=-1s: ", 0), 0u) << s.status().message();
}

}  // namespace
}  // namespace cairn::sim
