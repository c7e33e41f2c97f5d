#include "runtime-sim/scenario.h"

#include <gtest/gtest.h>

namespace cairn::sim {
namespace {

using std::chrono::seconds;

const char* kGood = R"(name: demo
seed: 42
duration: 120s
platform:
  zones: [a, b, c]
  nodes: [{count: 5, roles: [membership], zone: spread}]
  link: {bandwidth: 1Gbps, latency: 250us, flow_threshold: 64KiB}
  disk: {write: 300MBps, read: 500MBps, sync: 200us}
membership: {heartbeat: 1s, phi_threshold: 8}
faults:
  - {at: 50s, restart: n3}
  - {at: 20s, crash: n3}
  - {at: 70s, partition: [[n1, n2], [n3, n4, n5]]}
  - {at: 90s, heal: all}
  - {at: 95s, link: {loss: 0.1, delay: 5ms}, from: [n1], to: all, for: 10s}
checks:
  detection_time: {max: 5s}
  false_suspicions: {max: 0}
  converged:
)";

TEST(Scenario, ParsesAWholeScenario) {
  auto s = parse_scenario_text(kGood, "demo.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->name, "demo");
  EXPECT_EQ(s->seed, 42u);
  EXPECT_EQ(s->duration, seconds(120));
  ASSERT_EQ(s->nodes.size(), 5u);
  EXPECT_EQ(s->nodes[3].name, "n4");
  EXPECT_EQ(s->nodes[3].zone, "a");
  EXPECT_DOUBLE_EQ(s->link.bandwidth_bytes_per_s, 125e6);
  EXPECT_EQ(s->link.flow_threshold_bytes, 64u * 1024);
  ASSERT_EQ(s->faults.size(), 5u);
  EXPECT_EQ(s->faults[0].kind, FaultKind::kCrash);  // sorted by time
  EXPECT_EQ(s->faults[2].groups.size(), 2u);
  EXPECT_DOUBLE_EQ(s->faults[4].link.loss, 0.1);
  EXPECT_EQ(s->faults[4].from, std::vector<NodeId>{1});
  EXPECT_EQ(s->faults[4].to.size(), 5u);
  EXPECT_EQ(*s->checks["detection_time"].max_duration, seconds(5));
  EXPECT_TRUE(s->checks.contains("converged"));
}

// Each bad scenario must fail with `file:line: message` naming the problem.
struct Bad {
  const char* name;
  std::string text;
  std::string expect;
};

std::string with(const std::string& from, const std::string& to) {
  std::string s = kGood;
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  s.replace(at, from.size(), to);
  return s;
}

TEST(Scenario, RejectsMistakesWithFileAndLine) {
  const std::vector<Bad> cases{
      {"unknown key", with("seed: 42", "sede: 42"), "demo.yaml:2: unknown key 'sede'"},
      {"negative latency", with("latency: 250us", "latency: -1ms"),
       "demo.yaml:7: link latency: duration must not be negative"},
      {"size without unit", with("flow_threshold: 64KiB", "flow_threshold: 64"),
       "demo.yaml:7: link flow_threshold:"},
      {"no such node", with("crash: n3", "crash: n9"), "demo.yaml:12: no node named 'n9'"},
      {"missing unit", with("duration: 120s", "duration: 120"),
       "demo.yaml:3: duration: duration '120' needs a unit"},
      {"bad probability", with("loss: 0.1", "loss: 1.5"), "demo.yaml:15: loss must be in [0, 1]"},
      {"unknown check", with("converged:", "linearisable:"),
       "demo.yaml:19: unknown check 'linearisable'"},
      {"restart of a live node", with("restart: n3", "restart: n2"),
       "demo.yaml:11: n2 is not down at 50s"},
      {"fault after the end", with("at: 90s", "at: 200s"),
       "demo.yaml:14: fault at 200s is outside the run"},
      {"unknown role", with("roles: [membership]", "roles: [gateway]"),
       "demo.yaml:6: unknown role 'gateway'"},
      {"two actions", with("{at: 90s, heal: all}", "{at: 90s, heal: all, crash: n1}"),
       "demo.yaml:14: a fault needs exactly one of"},
      {"wrong type", with("nodes: [{count: 5", "nodes: [{count: five"),
       "demo.yaml:6: count must be a whole number"},
      {"yaml syntax", with("faults:", "faults: ]["), "demo.yaml:"},
  };
  for (const Bad& b : cases) {
    auto s = parse_scenario_text(b.text, "demo.yaml");
    ASSERT_FALSE(s.ok()) << b.name;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << b.name;
    EXPECT_NE(std::string(s.status().message()).find(b.expect), std::string::npos)
        << b.name << ": got " << s.status().message();
  }
}

const char* kFiles = R"(name: files
duration: 30s
platform:
  nodes: [{count: 3, roles: [meta, storage]}]
files: {clients: 2, rate: 4/s, mix: {put: 2, get: 1}, size: {min: 1KiB, max: 64KiB}, verify: 20s}
checks:
  durability: {}
  namespace_linearizable: {}
)";

TEST(Scenario, ReadsFileClientsAndTheirChecks) {
  auto s = parse_scenario_text(kFiles, "f.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->files().clients, 2);
  EXPECT_EQ(s->files().put, 2);
  EXPECT_EQ(s->files().mv, 0) << "a mix written replaces the default";
  EXPECT_EQ(s->files().size_max, 64u << 10);
  EXPECT_TRUE(s->checks.contains("namespace_linearizable"));
  auto with_text = [](std::string from, std::string to) {
    std::string t = kFiles;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  const std::vector<std::pair<std::string, std::string>> bad{
      {with_text("clients: 2", "clientz: 2"), "f.yaml:5:"},
      {with_text("namespace_linearizable: {}", "namespace_linearizable: {steps: 3}"), "f.yaml:8:"},
      {with_text("clients: 2", "clients: 0"), "f.yaml:7: durability judges what is read back"},
      {with_text("clients: 2", "clients: 0")
           .replace(std::string(kFiles).find("  durability"), 17, ""),
       "f.yaml:7: namespace_linearizable judges file operations"},
      {with_text("mix: {put: 2, get: 1}", "mix: {put: 0}"), "mix needs a positive weight"},
      {with_text("[meta, storage]", "[meta]"),
       "file clients need nodes with roles meta and storage"},
  };
  for (const auto& [text, expect] : bad) {
    auto b = parse_scenario_text(text, "f.yaml");
    ASSERT_FALSE(b.ok()) << expect;
    EXPECT_NE(std::string(b.status().message()).find(expect), std::string::npos)
        << "want " << expect << ", got " << b.status().message();
  }
}

TEST(Scenario, MissingFileIsNotFound) {
  EXPECT_EQ(parse_scenario_file("/nonexistent/x.yaml").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(Scenario, RandomFaultsAreDrawnFromTheSeedAndStayValid) {
  Scenario s = make_cluster_scenario("r", 7, seconds(200));
  s.random_faults.crashes = 4;
  s.random_faults.crash_from = seconds(10);
  s.random_faults.crash_to = seconds(150);
  s.random_faults.partitions = 2;
  s.random_faults.partition_from = seconds(10);
  s.random_faults.partition_to = seconds(150);
  Scenario a = s, b = s, c = s;
  draw_random_faults(a, 1);
  draw_random_faults(b, 1);
  draw_random_faults(c, 2);
  EXPECT_EQ(describe_faults(a), describe_faults(b));
  EXPECT_NE(describe_faults(a), describe_faults(c));
  EXPECT_GE(a.faults.size(), 6u);
  EXPECT_TRUE(validate(a).ok()) << validate(a) << "\n" << describe_faults(a);
  EXPECT_TRUE(validate(c).ok()) << validate(c) << "\n" << describe_faults(c);
}

}  // namespace
}  // namespace cairn::sim
