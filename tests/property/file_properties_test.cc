// The file store, property-tested over whole simulations.
//
// Each case draws a seed, a small file workload (clients, rate, sizes, operation mix) and
// a fault schedule on five nodes that each run membership, meta and storage: crashes with
// restarts and partitions, never more than kMaxDown nodes down at once (RS 3+2 loses at
// most its parity; the meta group keeps a majority), every node back before the
// read-back. It runs in cairn-sim (in a forked child) and asserts zero durability and zero
// linearizability violations. A failing case shrinks to a short schedule, printed as the
// YAML lines a student can paste into a scenario file, with its seed.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <ostream>

#include "core/storage/roles.h"
#include "runtime-sim/fork_runner.h"
#include "runtime-sim/scenario.h"
#include "tests/property/scenario_checks.h"

namespace cairn::sim {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kNodes = 5;
constexpr int kMaxDown = 2;
constexpr int kDurationS = 30;
constexpr int kUntilS = 20;   // no operation starts after this
constexpr int kVerifyS = 23;  // read-back; every node is up again before it

struct CrashPlan {
  int node;    // 1..kNodes
  int at_s;    // crash time
  int down_s;  // time down before restart
};

struct Case {
  uint64_t seed = 1;
  int clients = 2;
  int rate = 4;  // operations per second per client
  uint64_t size_max = 64 << 10;
  std::vector<CrashPlan> crashes;
  std::vector<std::pair<int, int>> partitions;  // (start s, length s): {n1, n2} split off
  Scenario scenario;                            // built from the fields above
};

std::ostream& operator<<(std::ostream& os, const Case& c) {
  const client::FileWorkloadOptions& f = c.scenario.files();
  os << "\n# replay: copy into a scenario file\nname: property-case\nseed: " << c.seed
     << "\nduration: " << kDurationS << "s\nplatform:\n  zones: [a, b, c]\n"
     << "  nodes: [{count: " << kNodes << ", roles: [membership, meta, storage], zone: spread}]\n"
     << "storage: {data_shards: 3, parity_shards: 2, replicas: 3, replicate_below: 32KiB}\n"
     << "files: {clients: " << f.clients << ", rate: " << c.rate
     << "/s, size: {min: 1KiB, max: " << f.size_max / 1024
     << "KiB}, chunk: 32KiB, until: " << kUntilS << "s, verify: " << kVerifyS
     << "s, timeout: 1s}\nfaults:\n"
     << describe_faults(c.scenario)
     << "checks: {durability: {}, namespace_linearizable: {}, raft_safety: {}}\n";
  return os;
}

// The number of nodes down at `t` under `faults` (crashes and their restarts only).
int down_at(const std::vector<Fault>& faults, Duration t) {
  std::map<NodeId, bool> down;
  for (const Fault& f : faults) {
    if (f.at > t) break;
    if (f.kind == FaultKind::kCrash) down[f.nodes.front()] = true;
    if (f.kind == FaultKind::kRestart) down[f.nodes.front()] = false;
  }
  int n = 0;
  for (const auto& [id, d] : down) n += d ? 1 : 0;
  return n;
}

// Builds the scenario, dropping crashes that would overlap one of the same node or take
// more than kMaxDown nodes down at once.
void build(Case& c) {
  Scenario s;
  s.name = "property-case";
  s.file = "<generated>";
  s.seed = c.seed;
  s.duration = seconds(kDurationS);
  s.zones = {"a", "b", "c"};
  for (int i = 1; i <= kNodes; ++i) {
    s.nodes.push_back(NodeSpec{static_cast<NodeId>(i),
                               "n" + std::to_string(i),
                               s.zones[static_cast<size_t>(i - 1) % 3],
                               {"membership", "meta", "storage"}});
  }
  use_rs_3_2(s, 32 << 10);
  use_files(s, c.clients, c.rate, c.size_max, 32 << 10, seconds(kUntilS), seconds(kVerifyS));
  s.files().timeout = seconds(1);
  std::vector<Fault> crashes;
  std::map<NodeId, int> busy_until;
  for (const CrashPlan& p : c.crashes) {
    const auto n = static_cast<NodeId>(p.node);
    if (busy_until.contains(n) && p.at_s <= busy_until[n]) continue;
    std::vector<Fault> with = crashes;
    with.push_back(Fault{.at = seconds(p.at_s), .kind = FaultKind::kCrash, .nodes = {n}});
    with.push_back(
        Fault{.at = seconds(p.at_s + p.down_s), .kind = FaultKind::kRestart, .nodes = {n}});
    std::stable_sort(with.begin(), with.end(),
                     [](const Fault& a, const Fault& b) { return a.at < b.at; });
    bool ok = true;
    for (const Fault& x : with) ok = ok && down_at(with, x.at) <= kMaxDown;
    if (!ok) continue;
    crashes = std::move(with);
    busy_until[n] = p.at_s + p.down_s;
  }
  s.faults = crashes;
  for (auto [start, length] : c.partitions) {
    s.faults.push_back(
        Fault{.at = seconds(start), .kind = FaultKind::kPartition, .groups = {{1, 2}, {3, 4, 5}}});
    s.faults.push_back(Fault{.at = seconds(start + length), .kind = FaultKind::kHeal});
  }
  std::stable_sort(s.faults.begin(), s.faults.end(),
                   [](const Fault& a, const Fault& b) { return a.at < b.at; });
  s.checks["durability"] = CheckSpec{};
  s.checks["namespace_linearizable"] = CheckSpec{};
  s.checks["raft_safety"] = CheckSpec{};
  c.scenario = s;
}

rc::Gen<CrashPlan> crash_plan() {
  return rc::gen::build<CrashPlan>(rc::gen::set(&CrashPlan::node, rc::gen::inRange(1, kNodes + 1)),
                                   rc::gen::set(&CrashPlan::at_s, rc::gen::inRange(3, 16)),
                                   rc::gen::set(&CrashPlan::down_s, rc::gen::inRange(1, 6)));
}

rc::Gen<std::pair<int, int>> partition_plan() {
  return rc::gen::pair(rc::gen::inRange(3, 16), rc::gen::inRange(1, 6));
}

RunResult run(const Case& c) { return run_case(c.scenario); }

// Whatever crashes and partitions happen (within the bounds), no acknowledged file is
// lost or changed, and every answer agrees with one order of the operations.
RC_GTEST_PROP(FileProperties, NoAcknowledgedFileIsLostAndTheNamespaceIsLinearizable, ()) {
  Case c;
  c.seed = *rc::gen::arbitrary<uint64_t>();
  c.clients = *rc::gen::inRange(1, 4);
  c.rate = *rc::gen::inRange(2, 8);
  c.size_max = uint64_t{1024} << *rc::gen::inRange(1, 8);  // 2 KiB .. 128 KiB
  c.crashes = *rc::gen::resize(4, rc::gen::container<std::vector<CrashPlan>>(crash_plan()));
  c.partitions =
      *rc::gen::resize(2, rc::gen::container<std::vector<std::pair<int, int>>>(partition_plan()));
  build(c);
  RC_ASSERT(validate(c.scenario).ok());
  RC_TAG(c.crashes.size());
  RC_LOG() << c;  // printed with the shrunk case when it fails
  const RunResult r = run(c);
  assert_check(r, "durability");
  assert_check(r, "namespace_linearizable");
  assert_check(r, "raft_safety");
}

}  // namespace
}  // namespace cairn::sim
