// Failure detection, property-tested over whole simulations.
//
// Each case draws a cluster size, a seed and a fault schedule, runs it in cairn-sim (in a
// forked child) and asserts the scenario checks. A failing case shrinks to a short
// schedule, printed as the YAML lines a student can paste into a scenario file.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <ostream>

#include "runtime-sim/fork_runner.h"
#include "runtime-sim/scenario.h"
#include "tests/property/scenario_checks.h"

namespace cairn::sim {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct CrashPlan {
  int node;    // index into the cluster, wrapped
  int at_s;    // crash time
  int down_s;  // time down before restart (>= the run's end: stays down)
};

struct Case {
  int nodes = 5;
  uint64_t seed = 1;
  double loss = 0;
  std::vector<CrashPlan> crashes;
  std::vector<std::pair<int, int>> partitions;  // (start s, length s): split off a minority
  Scenario scenario;                            // built from the fields above
};

std::ostream& operator<<(std::ostream& os, const Case& c) {
  os << "\n# replay: copy into a scenario file\nname: property-case\nseed: " << c.seed
     << "\nduration: " << c.scenario.duration.count() / 1'000'000'000
     << "s\nplatform: {nodes: [{count: " << c.nodes << "}]}\n";
  if (c.loss > 0) os << "network: {loss: " << c.loss << "}\n";
  os << "faults:\n" << describe_faults(c.scenario);
  return os;
}

constexpr int kDurationS = 90;

// Builds the scenario, dropping crashes that would overlap an earlier one of the same node.
void build(Case& c) {
  Scenario s =
      make_cluster_scenario("property-case", static_cast<size_t>(c.nodes), seconds(kDurationS));
  s.seed = c.seed;
  s.network.loss = c.loss;
  std::map<NodeId, int> busy_until;
  for (const CrashPlan& p : c.crashes) {
    const NodeId n = static_cast<NodeId>(1 + p.node % c.nodes);
    if (busy_until.contains(n) && p.at_s <= busy_until[n]) continue;
    s.faults.push_back(Fault{.at = seconds(p.at_s), .kind = FaultKind::kCrash, .nodes = {n}});
    const int back = p.at_s + p.down_s;
    busy_until[n] = back;
    if (back < kDurationS)
      s.faults.push_back(Fault{.at = seconds(back), .kind = FaultKind::kRestart, .nodes = {n}});
  }
  for (auto [start, length] : c.partitions) {
    std::vector<NodeId> minority{1}, rest;
    for (int i = 2; i <= c.nodes; ++i)
      (i <= c.nodes / 2 ? minority : rest).push_back(static_cast<NodeId>(i));
    s.faults.push_back(
        Fault{.at = seconds(start), .kind = FaultKind::kPartition, .groups = {minority, rest}});
    s.faults.push_back(Fault{.at = seconds(start + length), .kind = FaultKind::kHeal});
  }
  std::stable_sort(s.faults.begin(), s.faults.end(),
                   [](const Fault& a, const Fault& b) { return a.at < b.at; });
  c.scenario = s;
}

rc::Gen<CrashPlan> crash_plan() {
  return rc::gen::build<CrashPlan>(rc::gen::set(&CrashPlan::node, rc::gen::inRange(0, 64)),
                                   rc::gen::set(&CrashPlan::at_s, rc::gen::inRange(5, 60)),
                                   rc::gen::set(&CrashPlan::down_s, rc::gen::inRange(3, 40)));
}

rc::Gen<Case> crash_case() {
  return rc::gen::map(
      rc::gen::tuple(rc::gen::inRange(3, 10), rc::gen::arbitrary<uint64_t>(),
                     rc::gen::resize(4, rc::gen::container<std::vector<CrashPlan>>(crash_plan()))),
      [](const auto& t) {
        Case c;
        c.nodes = std::get<0>(t);
        c.seed = std::get<1>(t);
        c.crashes = std::get<2>(t);
        build(c);
        return c;
      });
}

RunResult run(const Case& c) { return run_case(c.scenario); }

// A crashed node is declared dead by every node that stays up, within the bound, and a
// restarted one is seen alive again; at the end every view is true.
RC_GTEST_PROP(DetectionProperties, CrashesAreDetectedAndRestartsRecognized, ()) {
  Case c = *crash_case();
  c.scenario.checks["detection_time"].max_duration = seconds(5);
  c.scenario.checks["recovery_time"].max_duration = seconds(3);
  c.scenario.checks["converged"] = CheckSpec{};
  RC_TAG(c.nodes);
  const RunResult r = run(c);
  assert_check(r, "detection_time");
  assert_check(r, "recovery_time");
  assert_check(r, "converged");
}

// Without crashes, and with loss below 2%, nobody is ever declared dead.
RC_GTEST_PROP(DetectionProperties, NoCrashNoLossNoDeath, ()) {
  Case c;
  c.nodes = *rc::gen::inRange(3, 12);
  c.seed = *rc::gen::arbitrary<uint64_t>();
  c.loss = *rc::gen::inRange(0, 20) / 1000.0;
  build(c);
  c.scenario.checks["false_deaths"].max_count = 0;
  const RunResult r = run(c);
  assert_check(r, "false_deaths");
  RC_ASSERT(r.metrics.at("membership_deaths_declared") == 0);
}

// Partitions are detected on both sides and healed everywhere, and views end up true.
RC_GTEST_PROP(DetectionProperties, PartitionsHeal, ()) {
  Case c;
  c.nodes = *rc::gen::inRange(3, 10);
  c.seed = *rc::gen::arbitrary<uint64_t>();
  const int start = *rc::gen::inRange(5, 40);
  c.partitions.push_back({start, *rc::gen::inRange(1, 25)});
  build(c);
  c.scenario.checks["heal_time"].max_duration = seconds(10);
  c.scenario.checks["converged"] = CheckSpec{};
  const RunResult r = run(c);
  assert_check(r, "heal_time");
  assert_check(r, "converged");
}

// Same scenario and seed: the same trace, byte for byte.
RC_GTEST_PROP(DetectionProperties, SameSeedSameTraceHash, ()) {
  Case c = *crash_case();
  const RunResult a = run(c);
  const RunResult b = run(c);
  RC_ASSERT(a.trace_hash == b.trace_hash);
  RC_ASSERT(a.events == b.events);
}

}  // namespace
}  // namespace cairn::sim
