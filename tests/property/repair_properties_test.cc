// Durability and self-healing, property-tested over whole simulations (issue 12).
//
// Each case draws a seed, a small file workload and a fault schedule on seven nodes: n1..n3
// run meta and storage, n4..n7 storage only, over three zones; files are kept as 3
// replicas (small chunks) or Reed-Solomon 3+2. The schedule, which file operations run
// through, mixes crashes with quick restarts, outages longer than the repair planner's
// grace (the node comes back after its shards were rebuilt elsewhere), crashes for good,
// disk losses (the node comes back empty, within the grace or after it), bit rot on nodes
// that stay up, and one-node partitions. The builder keeps every schedule within what the
// code promises to bear: at most kMaxImpaired (= parity, m = 2) nodes impaired at any
// moment, where a lost node or a rotten disk stays impaired for kRepairS (detection,
// grace or audit, and repair); at most one meta node down at once; at most two nodes lost
// for good. Faults stop by kLastFaultS.
//
// It asserts: no acknowledged file is lost or changed (durability: every read-back answers
// with the acknowledged bytes), Raft is safe, and every shard of every chunk is back on a
// live node that holds it within kBoundS of the last fault (redundancy, from: last_fault).
// A failing case shrinks to a short schedule, printed as a scenario file with its seed, to
// replay with `cairn-sim run FILE`.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <limits>
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

constexpr int kMetaNodes = 3;    // n1..n3: meta and storage
constexpr int kStorageOnly = 4;  // n4..n7: storage
constexpr int kNodes = kMetaNodes + kStorageOnly;
constexpr int kMaxImpaired = 2;     // RS 3+2 and 3 replicas bear two losses per stripe
constexpr int kMaxLostForGood = 2;  // seven nodes less two still hold a 5-shard stripe
constexpr int kRepairS = 45;        // a lost node's shards are back within this (the bound)
constexpr int kBoundS = 45;         // redundancy: whole again this long after the last fault
constexpr int kFirstFaultS = 5;
constexpr int kLastStartS = 40;  // faults start in [kFirstFaultS, kLastStartS]
constexpr int kLongDownS = 20;   // longer than detection (~4 s) plus the grace (10 s)
constexpr int kLastFaultS = kLastStartS + kLongDownS + 9;  // the latest restart
constexpr int kUntilS = 30;  // no file operation starts after this (they overlap the faults)
constexpr int kVerifyS = kLastFaultS + kBoundS;  // read-back, once redundancy is due
constexpr int kDurationS = kVerifyS + 15;
constexpr int kForever = std::numeric_limits<int>::max();

enum class Kind { kBlip, kOutage, kForGood, kDiskLoss, kRot, kPartition };

struct FaultPlan {
  Kind kind = Kind::kBlip;
  int node = 1;  // 1..kNodes (a kind for storage-only nodes maps it to n4..n7)
  int at_s = kFirstFaultS;
  int len_s = 0;  // 0..9: down time, partition length or rotten files, by kind
};

std::ostream& operator<<(std::ostream& os, const FaultPlan& p) {
  static const char* const kNames[] = {"blip",      "outage", "for_good",
                                       "disk_loss", "rot",    "partition"};
  return os << kNames[static_cast<int>(p.kind)] << " n" << p.node << " at " << p.at_s << "s len "
            << p.len_s;
}

struct Case {
  uint64_t seed = 1;
  int clients = 2;
  int rate = 4;  // operations per second per client
  uint64_t size_max = 64 << 10;
  std::vector<FaultPlan> plans;
  Scenario scenario;  // built from the fields above
};

std::ostream& operator<<(std::ostream& os, const Case& c) {
  const client::FileWorkloadOptions& f = c.scenario.files();
  os << "\n# replay: save as case.yaml, then cairn-sim run case.yaml\nname: repair-property-case"
     << "\nseed: " << c.seed << "\nduration: " << kDurationS << "s\nplatform:\n  zones: [a, b, c]\n"
     << "  nodes:\n    - {count: " << kMetaNodes
     << ", roles: [membership, meta, storage], zone: spread}\n    - {count: " << kStorageOnly
     << ", roles: [membership, storage], zone: spread}\n"
     << "membership: {heartbeat: 500ms}\n"
     << "storage: {data_shards: 3, parity_shards: 2, replicas: 3, replicate_below: 32KiB, "
        "scrub_rest: 5s}\n"
     << "files: {clients: " << f.clients << ", rate: " << c.rate
     << "/s, size: {min: 1KiB, max: " << f.size_max / 1024
     << "KiB}, chunk: 64KiB, until: " << kUntilS << "s, verify: " << kVerifyS << "s}\nfaults:\n"
     << describe_faults(c.scenario)
     << "checks: {durability: {}, raft_safety: {}, redundancy: {max: " << kBoundS
     << "s, from: last_fault}}\n";
  return os;
}

// A node's troubles as the builder counts them: [from, to) seconds.
struct Span {
  int node;
  int from, to;
};

// How many distinct nodes of `pick` (or all, if empty) one of `spans` covers at `t`.
int covered_at(const std::vector<Span>& spans, int t, int first = 1, int last = kNodes) {
  std::vector<bool> hit(kNodes + 1, false);
  for (const Span& s : spans) {
    if (s.node >= first && s.node <= last && s.from <= t && t < s.to) hit[s.node] = true;
  }
  return static_cast<int>(std::count(hit.begin(), hit.end(), true));
}

// Whether every moment of `spans` keeps within kMaxImpaired nodes impaired in all and one
// meta node out of service.
bool within_bounds(const std::vector<Span>& impaired, const std::vector<Span>& meta_out) {
  for (const Span& s : impaired) {
    if (covered_at(impaired, s.from) > kMaxImpaired) return false;
  }
  for (const Span& s : meta_out) {
    if (covered_at(meta_out, s.from, 1, kMetaNodes) > 1) return false;
  }
  return true;
}

struct Builder {
  std::vector<Span> impaired;     // a node's shards may be missing
  std::vector<Span> meta_out;     // a meta node cannot vote
  std::map<int, int> busy_until;  // a node down (or partitioned) until then
  int partition_until = 0;
  int lost_for_good = 0;
  std::vector<Fault> faults;

  void add(const FaultPlan& p) {
    const bool storage_only =
        p.kind == Kind::kForGood || p.kind == Kind::kDiskLoss || p.kind == Kind::kRot;
    const int node = storage_only ? kMetaNodes + 1 + (p.node - 1) % kStorageOnly : p.node;
    const auto n = static_cast<NodeId>(node);
    if (busy_until.contains(node) && p.at_s < busy_until[node]) return;
    // A disk loss may come back within the grace (the audit finds the empty disk) or after.
    const int down = p.kind == Kind::kBlip        ? 1 + p.len_s % 5
                     : p.kind == Kind::kPartition ? 1 + p.len_s % 8
                     : p.kind == Kind::kDiskLoss  ? 1 + 3 * p.len_s
                                                  : kLongDownS + p.len_s;
    std::vector<Span> imp = impaired, meta = meta_out;
    int end = p.at_s + down;  // when the node serves again
    if (p.kind == Kind::kBlip || p.kind == Kind::kPartition) {
      imp.push_back({node, p.at_s, end});
    } else {
      // Lost shards (a lost node's, rotten ones found by the scrubber) are back by then.
      imp.push_back({node, p.at_s, p.at_s + kRepairS});
      if (p.kind == Kind::kRot) end = p.at_s;
    }
    if (p.kind == Kind::kForGood) end = kForever;
    if (node <= kMetaNodes && p.kind != Kind::kRot) meta.push_back({node, p.at_s, end});
    if (!within_bounds(imp, meta)) return;
    if (p.kind == Kind::kForGood && lost_for_good == kMaxLostForGood) return;
    if (p.kind == Kind::kPartition && p.at_s < partition_until) return;  // a heal ends all
    impaired = std::move(imp);
    meta_out = std::move(meta);
    busy_until[node] = end;
    const Duration at = seconds(p.at_s);
    switch (p.kind) {
      case Kind::kBlip:
      case Kind::kOutage:
      case Kind::kDiskLoss:
        faults.push_back(Fault{.at = at,
                               .kind = FaultKind::kCrash,
                               .nodes = {n},
                               .lose_disk = p.kind == Kind::kDiskLoss});
        faults.push_back(Fault{.at = seconds(end), .kind = FaultKind::kRestart, .nodes = {n}});
        break;
      case Kind::kForGood:
        ++lost_for_good;
        faults.push_back(Fault{.at = at, .kind = FaultKind::kCrash, .nodes = {n}});
        break;
      case Kind::kRot: {
        Fault f{.at = at, .kind = FaultKind::kDisk, .nodes = {n}};
        f.disk.rot_files = 1 + static_cast<uint64_t>(p.len_s % 3);
        faults.push_back(f);
        break;
      }
      case Kind::kPartition: {
        std::vector<NodeId> rest;
        for (NodeId i = 1; i <= kNodes; ++i) {
          if (i != n) rest.push_back(i);
        }
        faults.push_back(Fault{.at = at, .kind = FaultKind::kPartition, .groups = {{n}, rest}});
        faults.push_back(Fault{.at = seconds(end), .kind = FaultKind::kHeal});
        partition_until = end;
        busy_until[node] = p.at_s;  // a partitioned node may still crash
        break;
      }
    }
  }
};

void build(Case& c) {
  Scenario s;
  s.name = "repair-property-case";
  s.file = "<generated>";
  s.seed = c.seed;
  s.duration = seconds(kDurationS);
  s.zones = {"a", "b", "c"};
  for (int i = 1; i <= kNodes; ++i) {
    std::vector<std::string> roles{"membership", "meta", "storage"};
    if (i > kMetaNodes) roles = {"membership", "storage"};
    const size_t zone = static_cast<size_t>(i <= kMetaNodes ? i - 1 : i - kMetaNodes - 1) % 3;
    s.nodes.push_back(
        NodeSpec{static_cast<NodeId>(i), "n" + std::to_string(i), s.zones[zone], roles});
  }
  s.membership().heartbeat_interval = milliseconds(500);
  use_rs_3_2(s, 32 << 10);
  use_files(s, c.clients, c.rate, c.size_max, 64 << 10, seconds(kUntilS), seconds(kVerifyS));
  // The scrubber rests 5 s between passes, so rot is found (and healed) within the bound.
  s.roles.get<storage::StorageOptions>("storage").scrub_rest = seconds(5);
  Builder b;
  std::vector<FaultPlan> plans = c.plans;
  std::stable_sort(plans.begin(), plans.end(),
                   [](const FaultPlan& x, const FaultPlan& y) { return x.at_s < y.at_s; });
  for (const FaultPlan& p : plans) b.add(p);
  s.faults = std::move(b.faults);
  std::stable_sort(s.faults.begin(), s.faults.end(),
                   [](const Fault& x, const Fault& y) { return x.at < y.at; });
  s.checks["durability"] = CheckSpec{};
  s.checks["raft_safety"] = CheckSpec{};
  s.checks["redundancy"] = CheckSpec{.max_duration = seconds(kBoundS), .from_last_fault = true};
  c.scenario = s;
}

rc::Gen<FaultPlan> fault_plan() {
  return rc::gen::build<FaultPlan>(
      rc::gen::set(&FaultPlan::kind,
                   rc::gen::element(Kind::kBlip, Kind::kOutage, Kind::kForGood, Kind::kDiskLoss,
                                    Kind::kRot, Kind::kPartition)),
      rc::gen::set(&FaultPlan::node, rc::gen::inRange(1, kNodes + 1)),
      rc::gen::set(&FaultPlan::at_s, rc::gen::inRange(kFirstFaultS, kLastStartS + 1)),
      rc::gen::set(&FaultPlan::len_s, rc::gen::inRange(0, 10)));
}

// Whatever nodes crash, come back, die, lose their disks, rot or are cut off (within the
// bounds), no acknowledged file is lost or changed, Raft stays safe, and every stripe is
// whole again within kBoundS of the last fault.
RC_GTEST_PROP(RepairProperties, NoAcknowledgedByteIsLostAndEveryStripeHeals, ()) {
  Case c;
  c.seed = *rc::gen::arbitrary<uint64_t>();
  c.clients = *rc::gen::inRange(1, 3);
  c.rate = *rc::gen::inRange(2, 7);
  c.size_max = uint64_t{16 << 10} << *rc::gen::inRange(0, 4);  // 16 KiB .. 128 KiB
  c.plans = *rc::gen::resize(6, rc::gen::container<std::vector<FaultPlan>>(fault_plan()));
  build(c);
  RC_ASSERT(validate(c.scenario).ok());
  RC_TAG(c.scenario.faults.size());
  RC_LOG() << c;  // printed with the shrunk case when it fails
  const RunResult r = run_case(c.scenario);
  assert_check(r, "durability");
  assert_check(r, "raft_safety");
  assert_check(r, "redundancy");
}

// Found by an earlier version of the property (seed 506606089): a write acknowledged while
// n1 was cut off for a second left n1 without its shard, and nothing rebuilt it until the
// leader's audit came in. The same schedule, kept as a case.
TEST(RepairProperties, AShardThatMissedItsWriteDuringAPartitionIsRebuilt) {
  Case c;
  c.seed = 506606089;
  build(c);
  std::vector<NodeId> rest;
  for (NodeId i = 2; i <= kNodes; ++i) rest.push_back(i);
  c.scenario.faults = {
      Fault{.at = seconds(5), .kind = FaultKind::kPartition, .groups = {{1}, rest}},
      Fault{.at = seconds(6), .kind = FaultKind::kHeal},
      Fault{.at = seconds(6), .kind = FaultKind::kCrash, .nodes = {4}},
  };
  ASSERT_TRUE(validate(c.scenario).ok());
  const RunResult r = run_case(c.scenario);
  for (const char* check : {"durability", "raft_safety", "redundancy"}) {
    ASSERT_TRUE(r.checks.count(check) != 0) << check << " did not run" << c;
    EXPECT_TRUE(r.checks.at(check).pass) << check << ": " << r.checks.at(check).detail << c;
  }
}

}  // namespace
}  // namespace cairn::sim
