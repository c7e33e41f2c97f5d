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
      {"key given twice", with("duration: 120s", "duration: 120s\nduration: 60s"),
       "demo.yaml:4: 'duration' is given twice (first on line 3)"},
      {"key given twice in a fault", with("{at: 90s, heal: all}", "{at: 90s, heal: all, at: 91s}"),
       "demo.yaml:14: 'at' is given twice"},
      {"node twice in one group", with("[[n1, n2], [n3", "[[n1, n1], [n3"),
       "demo.yaml:13: n1 is listed twice in this partition group"},
      {"node in two groups", with("[[n1, n2], [n3", "[[n1, n3], [n3"),
       "demo.yaml:13: n3 is in two partition groups"},
      {"unclosed brace", with("{at: 20s, crash: n3}", "{at: 20s, crash: n3"),
       "demo.yaml:12: YAML syntax: this '{' is never closed: add '}'"},
      {"unclosed bracket",
       with("[{count: 5, roles: [membership], zone: spread}]",
            "[{count: 5, roles: [membership], zone: spread}"),
       "demo.yaml:6: YAML syntax: this '[' is never closed"},
      {"bad indentation", with("  link: {bandwidth", " link: {bandwidth"),
       "demo.yaml:7: YAML syntax: this line is not indented like the lines above"},
      {"leader without raft", with("[[n1, n2], [n3", "[[leader, n2], [n3"),
       "demo.yaml:13: 'leader' needs nodes with role meta"},
      {"expect without bounds", with("converged:", "expect: {membership_refutations: {}}"),
       "demo.yaml:19: membership_refutations needs min or max"},
      {"expect after the end",
       with("converged:", "expect: {membership_refutations: {min: 1, between: [10s, 130s]}}"),
       "demo.yaml:19: between ends after the run"},
      {"expect unknown key", with("converged:", "expect: {membership_refutations: {least: 1}}"),
       "demo.yaml:19: unknown key 'least'"},
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

TEST(Scenario, RedundancyClockMayStartAtTheLastFault) {
  const std::string base = R"(name: r
duration: 60s
platform:
  nodes: [{count: 5, roles: [membership, meta, storage]}]
checks:
  redundancy: )";
  auto s = parse_scenario_text(base + "{max: 45s, from: last_fault}\n", "r.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s->checks.at("redundancy").max_duration, seconds(45));
  EXPECT_TRUE(s->checks.at("redundancy").from_last_fault);
  s = parse_scenario_text(base + "{max: 45s}\n", "r.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->checks.at("redundancy").from_last_fault);
  const std::vector<std::pair<std::string, std::string>> bad{
      {"{max: 45s, from: first_fault}\n", "r.yaml:6: redundancy's 'from' takes last_fault"},
      {"{from: last_fault}\n", "r.yaml:6: redundancy needs 'max'"},
      {"{max: 45s, since: last_fault}\n", "r.yaml:6: unknown key 'since'"},
  };
  for (const auto& [text, expect] : bad) {
    auto b = parse_scenario_text(base + text, "r.yaml");
    ASSERT_FALSE(b.ok()) << expect;
    EXPECT_NE(std::string(b.status().message()).find(expect), std::string::npos)
        << "want " << expect << ", got " << b.status().message();
  }
  // Other timed checks take no `from`.
  auto d = parse_scenario_text(
      "name: d\nduration: 60s\nplatform:\n  nodes: [{count: 3}]\nchecks:\n  detection_time: "
      "{max: 5s, from: last_fault}\n",
      "d.yaml");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(std::string(d.status().message()).find("d.yaml:6: unknown key 'from'"),
            std::string::npos)
      << d.status().message();
}

TEST(Scenario, DrainTakesStorageNodesAndTheDrainedCheck) {
  const std::string base = R"(name: d
duration: 60s
platform:
  nodes:
    - {count: 3, roles: [membership, meta, storage]}
    - {count: 1, roles: [membership]}
checks:
  drained: {}
faults:
  - )";
  auto s = parse_scenario_text(base + "{at: 20s, drain: [n2, n3]}\n", "d.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->faults.size(), 1u);
  EXPECT_EQ(s->faults[0].kind, FaultKind::kDrain);
  EXPECT_EQ(s->faults[0].nodes, (std::vector<NodeId>{2, 3}));
  EXPECT_TRUE(s->checks.contains("drained"));
  const std::vector<std::pair<std::string, std::string>> bad{
      {"{at: 20s, drain: n4}\n", "d.yaml:10: n4 is not a storage node"},
      {"{at: 20s, drain: n2, for: 5s}\n", "'for' does not apply to a drain fault"},
  };
  for (const auto& [text, expect] : bad) {
    auto b = parse_scenario_text(base + text, "d.yaml");
    ASSERT_FALSE(b.ok()) << expect;
    EXPECT_NE(std::string(b.status().message()).find(expect), std::string::npos)
        << "want " << expect << ", got " << b.status().message();
  }
}

TEST(Scenario, MissingFileIsNotFound) {
  EXPECT_EQ(parse_scenario_file("/nonexistent/x.yaml").status().code(),
            absl::StatusCode::kNotFound);
}

// `expect` takes a mapping of figures, or a list of them to judge one figure twice.
TEST(Scenario, ReadsExpectations) {
  auto s =
      parse_scenario_text(with("converged:",
                               "expect:\n    - raft_elections_won: {min: 1, between: [20s, 35s]}\n"
                               "    - raft_elections_won: {max: 0, between: [35s, 60s]}\n"
                               "    - writes_per_s: {max: 10}"),
                          "demo.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  const std::vector<Expectation>& e = s->checks["expect"].expect;
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].figure, "raft_elections_won");
  EXPECT_EQ(*e[0].min, 1);
  EXPECT_FALSE(e[0].max);
  EXPECT_EQ(e[0].from, seconds(20));
  EXPECT_EQ(*e[0].to, seconds(35));
  EXPECT_EQ(*e[1].max, 0);
  EXPECT_FALSE(e[2].to) << "no window: the whole run";
  EXPECT_EQ(e[1].line, 21);
}

// The partition groups may name `leader`: resolved when the fault happens.
TEST(Scenario, LeaderMayJoinAPartitionGroup) {
  const char* text = R"(name: p
duration: 60s
platform:
  nodes: [{count: 5, roles: [meta]}]
faults:
  - {at: 20s, partition: [[leader, n1], [n2, n3, n4, n5]]}
  - {at: 35s, heal: all}
)";
  auto s = parse_scenario_text(text, "p.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  const Fault& f = s->faults[0];
  EXPECT_TRUE(f.target_leader);
  EXPECT_FALSE(f.isolate);
  EXPECT_EQ(f.leader_group, 0);
  EXPECT_EQ(f.groups[0], std::vector<NodeId>{1});
  EXPECT_NE(describe_faults(*s).find("partition: [[leader, n1], [n2, n3, n4, n5]]"),
            std::string::npos)
      << describe_faults(*s);
  std::string twice = text;
  twice.replace(twice.find("n5]]"), 4, "leader]]");
  auto bad = parse_scenario_text(twice, "p.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find("p.yaml:6: 'leader' may appear once"),
            std::string::npos)
      << bad.status();
}

// Two drawn partitions must not overlap: the first one's heal would end the second before
// its minimum length (seed 7 drew two overlapping ones before this was fixed).
TEST(Scenario, RandomPartitionsLastAtLeastTheirMinimum) {
  for (uint64_t seed : {1, 2, 3, 4, 5, 6, 7, 8}) {
    Scenario s = make_cluster_scenario("r", 5, seconds(100));
    s.random_faults.partitions = 2;
    s.random_faults.partition_from = seconds(10);
    s.random_faults.partition_to = seconds(30);
    s.random_faults.partition_min = seconds(3);
    s.random_faults.partition_max = seconds(6);
    s.faults.push_back(
        Fault{.at = seconds(40), .kind = FaultKind::kPartition, .groups = {{1}, {2, 3, 4, 5}}});
    s.faults.push_back(Fault{.at = seconds(50), .kind = FaultKind::kHeal});
    draw_random_faults(s, seed);
    Duration since = Duration(-1);  // -1: no partition holds
    int partitions = 0;
    for (const Fault& f : s.faults) {
      if (f.kind == FaultKind::kPartition) {
        EXPECT_LT(since, Duration(0)) << "seed " << seed << ": overlapping partitions\n"
                                      << describe_faults(s);
        since = f.at;
        ++partitions;
      }
      if (f.kind == FaultKind::kHeal) {
        ASSERT_GE(since, Duration(0)) << describe_faults(s);
        if (f.at != seconds(50)) {
          EXPECT_GE(f.at - since, seconds(3)) << "seed " << seed << "\n" << describe_faults(s);
        }
        since = Duration(-1);
      }
    }
    EXPECT_EQ(partitions, 3) << "seed " << seed << "\n" << describe_faults(s);
  }
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
