// Property tests: random cluster sizes (3/5/7), workloads and fault schedules. Every case
// must satisfy Raft's safety properties and linearizability of the client history, and
// must commit a new write once the faults stop. A planted-bug test proves the property
// has teeth: it must fail, and RapidCheck shrinks the failure to a short schedule.
//
// The suite runs 500 cases (RC_PARAMS set by CTest); nightly-style:
//   RC_PARAMS="max_success=20000" ./raft_property_test --gtest_filter='*Safe*'
// Reproduce a failure with RC_PARAMS="seed=N".
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/raft/testing/cluster_harness.h"

namespace cairn::raft::testing {
namespace {

rc::Gen<FaultEvent> gen_event(uint32_t nodes, uint32_t spares, uint32_t fault_steps) {
  return rc::gen::exec([=] {
    FaultEvent e;
    e.at_step = *rc::gen::inRange<uint32_t>(0, fault_steps);
    e.kind = *rc::gen::weightedElement<FaultKind>({
        {5, FaultKind::kCrash},
        {5, FaultKind::kRestart},
        {3, FaultKind::kIsolate},
        {3, FaultKind::kPartition},
        {3, FaultKind::kHeal},
        {2, FaultKind::kLoss},
        {2, FaultKind::kDuplicate},
        {2, FaultKind::kDelay},
        {1, FaultKind::kCalm},
        {2, FaultKind::kTransferLeader},
        {spares > 0 ? 2u : 0u, FaultKind::kAddLearner},
        {spares > 0 ? 2u : 0u, FaultKind::kPromote},
        {1, FaultKind::kRemove},
    });
    e.node = *rc::gen::inRange<uint32_t>(1, nodes + spares + 1);
    if (e.kind == FaultKind::kPartition) {
      e.mask = *rc::gen::inRange<uint32_t>(1, (1U << (nodes + spares)) - 1);
    }
    if (e.kind == FaultKind::kLoss || e.kind == FaultKind::kDuplicate) {
      e.amount = *rc::gen::inRange<uint32_t>(1, 40);
    } else if (e.kind == FaultKind::kDelay) {
      e.amount = *rc::gen::inRange<uint32_t>(1, 12);
    }
    return e;
  });
}

rc::Gen<Schedule> gen_schedule(Bug bug) {
  return rc::gen::exec([=] {
    Schedule s;
    s.bug = bug;
    s.nodes = *rc::gen::element<uint32_t>(3, 5, 7);
    s.spares = *rc::gen::inRange<uint32_t>(0, 2);
    s.seed = *rc::gen::inRange<uint64_t>(1, 1000000);
    s.fault_steps = *rc::gen::inRange<uint32_t>(100, 800);
    s.batch = *rc::gen::element<uint32_t>(1, 3, 64);
    // Up to 30 events at every size; shrinking removes events one by one.
    s.events = *rc::gen::resize(30, rc::gen::container<std::vector<FaultEvent>>(
                                        gen_event(s.nodes, s.spares, s.fault_steps)));
    return s;
  });
}

struct Outcome {
  std::vector<std::string> failures;
  check::LinVerdict verdict = check::LinVerdict::kLinearizable;
  uint64_t completed_ops = 0;
};

Outcome run_case(const Schedule& s) {
  ClusterOptions options;
  options.nodes = s.nodes;
  options.spares = s.spares;
  options.seed = s.seed;
  options.bug = s.bug;
  options.raft.max_entries_per_append = s.batch;
  Cluster cluster(options);
  std::vector<FaultEvent> events = s.events;
  std::stable_sort(events.begin(), events.end(),
                   [](const FaultEvent& a, const FaultEvent& b) { return a.at_step < b.at_step; });
  size_t next = 0;
  for (uint32_t step = 0; step < s.fault_steps && cluster.safety().ok(); ++step) {
    while (next < events.size() && events[next].at_step <= step) cluster.apply(events[next++]);
    cluster.step();
  }
  Outcome out;
  if (!cluster.safety().ok()) {  // stop at the first violation: shrinking stays fast
    out.failures = cluster.safety().violations();
    return out;
  }
  // Faults stop: heal the network, restart everyone, then demand progress.
  cluster.heal();
  cluster.set_network(NetworkConditions{});
  for (NodeId id = 1; id <= cluster.total_nodes(); ++id) cluster.restart(id);
  cluster.run(100);
  const bool live = cluster.write_completes_within(1500);
  cluster.set_load(false);
  cluster.run(200);  // let answers in flight arrive
  out.failures = cluster.check_all(&out.verdict);
  if (cluster.stalled()) {
    out.failures.push_back(absl::StrCat("message storm: ", cluster.delivered(), " deliveries"));
  }
  if (!live) out.failures.push_back("liveness: no write committed after the faults stopped");
  out.completed_ops = cluster.completed_ops();
  if (std::getenv("CAIRN_DEBUG") != nullptr) {
    std::fprintf(stderr, "case: %zu failures, %lu ops, %lu delivered\n", out.failures.size(),
                 out.completed_ops, cluster.delivered());
  }
  return out;
}

RC_GTEST_PROP(RaftProperty, SafeLinearizableAndLiveUnderFaults, ()) {
  const Schedule s = *gen_schedule(Bug::kNone);
  const Outcome out = run_case(s);
  RC_CLASSIFY(out.verdict == check::LinVerdict::kUnknown, "linearizability unknown");
  RC_TAG(absl::StrCat(s.nodes, " nodes"));
  if (!out.failures.empty()) RC_FAIL(absl::StrJoin(out.failures, "\n"));
}

// Runs the property with a planted bug; returns the number of cases it took to find a
// failure (0 if none) and prints the shrunk schedule.
int find_planted_bug(Bug bug, uint64_t seed, int max_cases) {
  Schedule last_failing;
  std::string last_failure;
  rc::detail::TestParams params;
  params.seed = seed;
  params.maxSuccess = max_cases;
  params.maxSize = 100;
  const rc::detail::TestResult result = rc::detail::checkTestable(
      [&] {
        const Schedule s = *gen_schedule(bug);
        const Outcome out = run_case(s);
        if (out.failures.empty()) return;
        last_failing = s;  // the last failing case seen is the shrunk one
        last_failure = absl::StrJoin(out.failures, "\n");
        RC_FAIL(last_failure);
      },
      rc::detail::TestMetadata{}, params);
  rc::detail::FailureResult failure;
  if (!result.match(failure)) return 0;
  std::cout << "planted bug found after " << failure.numSuccess + 1 << " case(s); shrunk to:\n"
            << to_string(last_failing) << "\nviolations:\n"
            << last_failure << "\n";
  return failure.numSuccess + 1;
}

TEST(RaftProperty, FindsPlantedVoteWithoutLogCheck) {
  EXPECT_GT(find_planted_bug(Bug::kVoteWithoutLogCheck, 7, 300), 0);
}

// Figure 8's bug needs a rare interleaving (a leader must count an old-term entry on a
// majority before its own no-op reaches them, then lose leadership), so random schedules
// find it far less often than the vote bug. Run by hand:
//   ./raft_property_test --gtest_also_run_disabled_tests --gtest_filter='*CommitOldTerm*'
TEST(RaftProperty, DISABLED_FindsPlantedCommitOldTermByCount) {
  EXPECT_GT(find_planted_bug(Bug::kCommitOldTermByCount, 7, 20000), 0);
}

}  // namespace
}  // namespace cairn::raft::testing
