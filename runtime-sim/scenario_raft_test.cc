// The raft parts of the scenario format: raft:, workload:, membership actions, `leader`
// targets and the raft checks, and the mistakes the parser must refuse with file:line.
#include <gtest/gtest.h>

#include "runtime-sim/scenario.h"

namespace cairn::sim {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const char* kRaft = R"(name: r
duration: 60s
platform:
  nodes: [{count: 5, roles: [meta]}]
raft: {voters: [n1, n2, n3], tick: 5ms, election_timeout: [100ms, 200ms], heartbeat: 25ms}
workload: {clients: 2, rate: 15/s, keys: 4, mix: {put: 0.6, get: 0.4}, until: 50s}
faults:
  - {at: 10s, add_learner: n4}
  - {at: 12s, promote: n4}
  - {at: 20s, crash: leader}
  - {at: 25s, restart: leader}
  - {at: 30s, isolate: leader}
  - {at: 35s, heal: all}
  - {at: 40s, remove: n1}
  - {at: 45s, transfer_leader: n2}
checks:
  raft_safety: {}
  linearizable: {max_steps: 1000}
  progress: {min_commits: 10, after_last_fault: 2s}
)";

std::string with(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  s.replace(at, from.size(), to);
  return s;
}

TEST(ScenarioRaft, ParsesGroupWorkloadActionsAndChecks) {
  auto s = parse_scenario_text(kRaft, "r.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->meta_ids().size(), 5u);
  EXPECT_EQ(s->voter_ids(), (std::vector<NodeId>{1, 2, 3}));
  EXPECT_EQ(s->meta().raft.tick, milliseconds(5));
  EXPECT_EQ(s->meta().raft.election_timeout_min, milliseconds(100));
  EXPECT_EQ(s->meta().raft.election_timeout_max, milliseconds(200));
  EXPECT_EQ(s->workload().clients, 2);
  EXPECT_DOUBLE_EQ(s->workload().workload.rate_per_s, 15);
  EXPECT_DOUBLE_EQ(s->workload().workload.get, 0.4);
  EXPECT_EQ(s->workload().workload.until, seconds(50));
  ASSERT_EQ(s->faults.size(), 8u);
  EXPECT_EQ(s->faults[0].kind, FaultKind::kAddLearner);
  EXPECT_EQ(s->faults[0].nodes, (std::vector<NodeId>{4}));
  EXPECT_TRUE(s->faults[2].target_leader);
  EXPECT_TRUE(s->faults[4].isolate && s->faults[4].target_leader);
  EXPECT_EQ(s->faults[7].kind, FaultKind::kTransferLeader);
  EXPECT_TRUE(s->has_raft_actions());
  EXPECT_EQ(s->checks.at("linearizable").max_steps, 1000u);
  EXPECT_EQ(s->checks.at("progress").min_count, 10);
  EXPECT_EQ(s->checks.at("progress").max_duration, seconds(2));
  EXPECT_NE(describe_faults(*s).find("crash: leader"), std::string::npos);
}

TEST(ScenarioRaft, IsolateANamedNodeMakesTwoGroups) {
  auto s = parse_scenario_text(with(kRaft, "isolate: leader", "isolate: n3"), "r.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->faults[4].target_leader);
  EXPECT_EQ(s->faults[4].groups, (std::vector<std::vector<NodeId>>{{3}, {1, 2, 4, 5}}));
}

TEST(ScenarioRaft, RejectsMistakesWithFileAndLine) {
  struct Bad {
    const char* name;
    std::string text;
    const char* expect;
  };
  const std::vector<Bad> cases{
      {"unknown raft key", with(kRaft, "tick: 5ms", "tik: 5ms"), "r.yaml:5: unknown key 'tik'"},
      {"voter without meta", with(kRaft, "roles: [meta]", "roles: [membership]"),
       "r.yaml:5: n1 has no meta role"},
      {"timeout below heartbeat", with(kRaft, "heartbeat: 25ms", "heartbeat: 500ms"),
       "r.yaml:5: election_timeout must be longer than heartbeat"},
      {"mix not summing to 1", with(kRaft, "get: 0.4", "get: 0.5"), "r.yaml:6: mix must add up"},
      {"unknown mix op", with(kRaft, "get: 0.4", "scan: 0.4"), "r.yaml:6: unknown key 'scan'"},
      {"bad rate", with(kRaft, "rate: 15/s", "rate: fast"), "r.yaml:6: rate must be a positive"},
      {"until after the end", with(kRaft, "until: 50s", "until: 90s"),
       "r.yaml:6: until is after the end"},
      {"action on an unknown node", with(kRaft, "add_learner: n4", "add_learner: n9"),
       "r.yaml:8: no node named 'n9'"},
      {"restart leader twice", with(kRaft, "crash: leader", "pause: n5, for: 1s"),
       "r.yaml:11: restart: leader needs an earlier crash: leader"},
      {"for on an action", with(kRaft, "promote: n4}", "promote: n4, for: 1s}"),
       "r.yaml:9: 'for' does not apply to a promote fault"},
      {"progress without numbers", with(kRaft, "{min_commits: 10, after_last_fault: 2s}", "{}"),
       "r.yaml:19: progress needs min_commits or after_last_fault"},
      {"unknown progress key", with(kRaft, "min_commits: 10", "min_writes: 10"),
       "r.yaml:19: unknown key 'min_writes'"},
      {"raft check without meta nodes",
       with(with(with(with(kRaft, "roles: [meta]", "roles: [membership]"),
                      "raft: {voters: [n1, n2, n3], ", "raft: {"),
                 "workload: {clients: 2", "workload: {clients: 0"),
            "  - {at: 10s, add_learner: n4}\n  - {at: 12s, promote: n4}\n  - {at: 20s, crash: "
            "leader}\n  - {at: 25s, restart: leader}\n  - {at: 30s, isolate: leader}\n  - {at: "
            "35s, heal: all}\n  - {at: 40s, remove: n1}\n  - {at: 45s, transfer_leader: n2}\n",
            "  - {at: 35s, heal: all}\n"),
       "r.yaml:10: raft_safety needs nodes with role meta"},
  };
  for (const Bad& b : cases) {
    auto s = parse_scenario_text(b.text, "r.yaml");
    ASSERT_FALSE(s.ok()) << b.name;
    EXPECT_NE(std::string(s.status().message()).find(b.expect), std::string::npos)
        << b.name << ": got " << s.status().message();
  }
}

}  // namespace
}  // namespace cairn::sim
