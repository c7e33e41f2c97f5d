// A scenario: what cairn-sim runs. Parsed from YAML and validated before anything runs.
//
// Every mistake — unknown key, wrong type, impossible value, a fault naming a node that
// does not exist — is reported as `file:line: message`, and parsing stops at the first
// one. The struct is also built directly by property tests (no YAML involved), so
// validate() holds the rules that do not depend on the text. Random faults are drawn
// from the seed by draw_random_faults(), so a (scenario, seed) pair fixes every fault.
// The scenario format is documented in docs/scenarios.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/client/file_workload.h"
#include "core/kv/kv_client.h"
#include "core/kv/roles.h"
#include "core/membership/options.h"
#include "core/placement/churn.h"
#include "core/raft/testing/faults.h"
#include "core/runtime/message.h"
#include "core/runtime/role.h"
#include "core/runtime/time.h"
#include "core/storage/chunk_workload.h"

namespace cairn::sim {

struct NodeSpec {
  NodeId id = kNoNode;
  std::string name;  // "n<id>"
  std::string zone;
  std::vector<std::string> roles;
};

struct LinkSpec {
  double bandwidth_bytes_per_s = 125e6;  // 1 Gbps
  Duration latency = std::chrono::microseconds(250);
  // Messages of at least this many bytes (on the wire) are simulated as flows that share
  // link bandwidth with each other; smaller ones take latency + size / bandwidth and
  // cost far less to simulate. 0: every message is a flow.
  uint64_t flow_threshold_bytes = 16 * 1024;
};

struct DiskSpec {
  double read_bytes_per_s = 500e6;
  double write_bytes_per_s = 300e6;
  Duration sync_latency = std::chrono::microseconds(200);
  // Operations a node's disk carries out at once; later ones wait their turn, in the order
  // issued (cairnd's FileDisk: its disk_threads, 8 by default). 0: no limit.
  int64_t parallel = 0;
};

// Per-message faults on links, probabilities in [0, 1].
struct LinkFaults {
  double loss = 0;
  double duplicate = 0;
  Duration delay = Duration(0);   // added to every message
  Duration jitter = Duration(0);  // plus a uniform draw in [0, jitter]: reorders messages
  bool operator==(const LinkFaults&) const = default;
};

// The `transport:` switch (docs/scenarios.md): model the real TCP transport's connection
// state towards each peer (connect, failure, capped exponential reconnect back-off, a Hello
// ending the back-off) instead of an ideal network that reaches any up node at once. The
// defaults are cairnd's (runtime-real/tcp_transport.h). Off by default.
struct TransportSpec {
  bool model = false;
  Duration backoff_min = std::chrono::milliseconds(20);
  Duration backoff_max = std::chrono::seconds(2);
  Duration hold_backoff_max = std::chrono::milliseconds(250);  // such back-offs hold messages
  bool hello_ends_backoff = true;
  // The longest back-off with its jitter (+25 %): how long a link to a restarted node may
  // stay down.
  Duration longest_backoff() const { return backoff_max * 5 / 4; }
};

// A `disk:` fault (docs/scenarios.md, parsed by disk_faults_yaml.cc): what changes in the
// disk of each target node. Unset fields keep their value; with `for`, the set ones
// return to their previous values afterwards. rot_files is a one-shot action.
struct DiskFaultSpec {
  std::optional<double> read_errors;         // probability per read
  std::optional<double> lost_writes;         // probability per write or append
  std::optional<double> misdirected_writes;  // probability per write or append
  std::optional<bool> full;                  // true: capacity := bytes used now
  std::optional<uint64_t> capacity_bytes;    // the disk's capacity
  std::optional<double> slow_factor;         // reads, writes and syncs take factor x longer
  std::optional<Duration> slow_latency;      // added to every disk operation
  uint64_t rot_files = 0;                    // bit rot: flip a bit in this many synced files
};

enum class FaultKind {
  kCrash,
  kRestart,
  kPartition,
  kHeal,
  kLink,
  kPause,
  kSlowDisk,
  kTornWrites,
  kDisk,  // a change to nodes' disk fault models (DiskFaultSpec)
  // Membership actions on the Raft group (carried out by the scenario's admin client).
  kAddLearner,
  kPromote,
  kRemoveMember,
  kTransferLeader,
  // The placement lesson: nodes enter or leave the set stripes are placed over
  // (placement_yaml.cc).
  kJoin,
  kLeave,
  // Storage: the node registry marks nodes draining (proposed on the meta leader;
  // drain_action.h), so repair moves every shard off them.
  kDrain,
};
bool is_raft_action(FaultKind kind);

struct Fault {
  Duration at = Duration(0);
  FaultKind kind = FaultKind::kCrash;
  int line = 0;                             // where it was written (0: drawn at random)
  std::vector<NodeId> nodes;                // crash, restart, pause, slow_disk targets
  std::vector<std::vector<NodeId>> groups;  // partition: groups that cannot talk
  bool one_way = false;                     // partition: only groups[0] -> others blocked
  bool isolate = false;          // partition: one node (groups[0]) against all the others
  bool target_leader = false;    // crash, pause, isolate: the Raft leader at that moment;
                                 // restart: the node the last `crash: leader` took down;
                                 // partition: the leader joins groups[leader_group]
  int leader_group = -1;         // partition with `leader` in a group: that group's index
  std::vector<NodeId> from, to;  // link faults: empty means every node
  LinkFaults link;
  Duration length = Duration(0);  // pause: how long; link, slow disk: 0 = for good
  double factor = 1;              // slow disk: I/O takes factor times longer
  double probability = 0;         // torn writes: chance per file at a crash
  DiskFaultSpec disk;             // disk faults
  bool lose_disk = false;         // crash: the disk is lost too; the restart finds it empty
};

// One line of the `expect:` check (expect_check.h): a figure within [min, max], counted
// over [from, to) of the run (to unset: the end).
struct Expectation {
  std::string figure;
  std::optional<double> min, max;
  Duration from = Duration(0);
  std::optional<Duration> to;
  int line = 0;
};

struct CheckSpec {
  bool want_violation = false;           // linearizable: {want: violation} passes on a violation
  std::optional<Duration> max_duration;  // detection_time, recovery_time, heal_time;
                                         // progress: after_last_fault
  std::optional<int64_t> max_count;      // false_suspicions, false_deaths
  std::optional<int64_t> min_count;      // progress: min_commits
  bool from_last_fault = false;          // redundancy: the clock starts at the last fault
  uint64_t max_steps = 2'000'000;        // linearizable: search budget per key
  Duration window = std::chrono::seconds(10);
  std::vector<Expectation> expect;  // expect
  int line = 0;
};

struct RandomFaultSpec {
  int crashes = 0;
  Duration crash_from = Duration(0), crash_to = Duration(0);
  Duration downtime_min = std::chrono::seconds(5), downtime_max = std::chrono::seconds(20);
  int partitions = 0;
  Duration partition_from = Duration(0), partition_to = Duration(0);
  Duration partition_min = std::chrono::seconds(5), partition_max = std::chrono::seconds(20);
};

// `placement:` (placement_yaml.cc, docs/scenarios.md): stripes kept placed by one policy
// while `join` and `leave` faults change the nodes they are placed over (placement_run.h).
struct PlacementSpec {
  bool enabled = false;
  placement::PolicyChoice policy;
  int64_t stripes = 20000;
  int shards = 3;
  int line = 0;
};

struct Scenario {
  std::string name;
  std::string file;  // for messages; "<generated>" when built in code
  // `--set` overrides (scenario_set.cc): lines from set_first_line on belong to them,
  // kSetLines each, in the order of set_sources ("--set key=value"); 0: none.
  int set_first_line = 0;
  std::vector<std::string> set_sources;
  std::string description;
  uint64_t seed = 1;
  Duration duration = std::chrono::seconds(60);
  std::vector<std::string> zones{"a"};
  std::vector<NodeSpec> nodes;
  LinkSpec link;
  DiskSpec disk;
  double cpu_flops = 1e9;
  LinkFaults network;  // faults on every link from the start
  TransportSpec transport;
  std::vector<Fault> faults;  // sorted by time
  RandomFaultSpec random_faults;
  std::map<std::string, CheckSpec> checks;
  Duration metrics_interval = std::chrono::seconds(1);
  // `unsafe: {raft_bug: ...}`: a protocol bug planted in every meta node (a lesson; never
  // anything but kNone unless a scenario names one). core/raft/testing/faults.h.
  raft::testing::Bug raft_bug = raft::testing::Bug::kNone;
  PlacementSpec placement;
  // Options of each role by role name, from the role's settings section (membership:,
  // raft:, workload: ...; docs/settings.md). A role absent here runs with its defaults.
  RoleSettings roles;
  // The node roles serving the key-value client protocol (wire::kKvRequest), from the
  // registry the scenario was read with: `meta`, and any other that serves it (a lab's).
  // Key-value clients (`workload:`) talk to the nodes holding them.
  std::vector<std::string> kv_server_roles{"meta"};

  // Typed views of the built-in roles' options (default-made on first use).
  membership::MembershipOptions& membership() {
    return roles.get<membership::MembershipOptions>("membership");
  }
  const membership::MembershipOptions& membership() const {
    return roles.get_or_default<membership::MembershipOptions>("membership");
  }
  kv::MetaOptions& meta() { return roles.get<kv::MetaOptions>("meta"); }
  const kv::MetaOptions& meta() const { return roles.get_or_default<kv::MetaOptions>("meta"); }
  kv::KvClientOptions& workload() { return roles.get<kv::KvClientOptions>("kv_client"); }
  const kv::KvClientOptions& workload() const {
    return roles.get_or_default<kv::KvClientOptions>("kv_client");
  }

  storage::ChunkWorkloadOptions& chunks() {
    return roles.get<storage::ChunkWorkloadOptions>("chunk_client");
  }
  const storage::ChunkWorkloadOptions& chunks() const {
    return roles.get_or_default<storage::ChunkWorkloadOptions>("chunk_client");
  }

  client::FileWorkloadOptions& files() {
    return roles.get<client::FileWorkloadOptions>("file_client");
  }
  const client::FileWorkloadOptions& files() const {
    return roles.get_or_default<client::FileWorkloadOptions>("file_client");
  }

  const NodeSpec* find(const std::string& name) const;
  std::vector<NodeId> node_ids() const;
  // Nodes with role `meta`, and the initial voters among them.
  std::vector<NodeId> meta_ids() const;
  // Nodes holding one of kv_server_roles, in id order.
  std::vector<NodeId> kv_server_ids() const;
  // Nodes that hold `role`, in id order.
  std::vector<NodeId> nodes_with(std::string_view role) const;
  std::vector<NodeId> voter_ids() const;
  // Membership actions in the fault list (they need an admin client).
  bool has_raft_actions() const;
};

// Names of the checks cairn-sim knows.
const std::vector<std::string>& known_checks();

// Roles are those of `roles` (default: the built-in ones, core/roles/builtin.h).
absl::StatusOr<Scenario> parse_scenario_file(const std::string& path);
absl::StatusOr<Scenario> parse_scenario_file(const std::string& path, const RoleRegistry& roles);
absl::StatusOr<Scenario> parse_scenario_text(const std::string& text, const std::string& file);
absl::StatusOr<Scenario> parse_scenario_text(const std::string& text, const std::string& file,
                                             const RoleRegistry& roles);

// One `--set key=value` of the command line: `key` is a dotted path into the scenario's
// YAML (mapping keys, or list indexes such as faults.0.at), `value` is YAML text.
struct SetOverride {
  std::string key;
  std::string value;
  std::string source;  // "--set key=value", for messages
};
// Splits "key=value"; a missing '=' or an empty key (or key segment) is an error.
absl::StatusOr<SetOverride> parse_set(const std::string& arg);
// As above, after applying `overrides` in order to the file's YAML document, so that the
// reader checks them as strictly as the file; their mistakes are reported as
// "--set key=value: message".
absl::StatusOr<Scenario> parse_scenario_file(const std::string& path,
                                             const std::vector<SetOverride>& overrides);
absl::StatusOr<Scenario> parse_scenario_file(const std::string& path, const RoleRegistry& roles,
                                             const std::vector<SetOverride>& overrides);
absl::StatusOr<Scenario> parse_scenario_text(const std::string& text, const std::string& file,
                                             const RoleRegistry& roles,
                                             const std::vector<SetOverride>& overrides);
// "file:line" or, for a line of a `--set` override, "--set key=value".
std::string source_of(const Scenario& s, int line);

// Rules on the struct itself (e.g. a crash of a node that is already down).
absl::Status validate(const Scenario& scenario);

// Adds the faults of scenario.random_faults, drawn from `seed`, to scenario.faults.
void draw_random_faults(Scenario& scenario, uint64_t seed);

// What became of one fault in a run: the node a `leader` fault hit, or why it was skipped.
struct FaultOutcome {
  NodeId hit = kNoNode;
  std::string skipped;  // empty: applied
};

// A readable, YAML-like rendering of the fault schedule (for shrunk test cases). With
// `outcomes` (one per fault, as the run applied them), a `leader` fault shows the node it
// hit (`crash: leader (n3)`) and a skipped fault is marked SKIPPED with the reason.
std::string describe_faults(const Scenario& scenario,
                            const std::vector<FaultOutcome>* outcomes = nullptr);
std::string fault_kind_name(FaultKind kind);

// Disk faults (disk_faults_yaml.cc): checks of a kDisk fault that need no YAML, and
// its rendering for describe_faults().
absl::Status validate_disk_fault(const Fault& fault);
std::string describe_disk_fault(const DiskFaultSpec& disk);

// The placement lesson (placement_yaml.cc): the checks of `placement:` and of the join and
// leave faults that need the whole scenario (a join of a node already placed, too few
// nodes left for a stripe's shards).
absl::Status validate_placement(const Scenario& scenario);
// The nodes stripes are placed over at the start: every node but those whose first join or
// leave is a join.
std::vector<NodeId> initial_placement_nodes(const Scenario& scenario);

// A scenario of `n` membership nodes with defaults, for tests and benchmarks.
Scenario make_cluster_scenario(const std::string& name, size_t n, Duration duration);

}  // namespace cairn::sim
