#include "runtime-sim/scenario.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/units.h"
#include "core/runtime/rng.h"

namespace cairn::sim {
namespace {

absl::Status error_at(const Scenario& s, int line, const std::string& message) {
  if (line > 0) return absl::InvalidArgumentError(absl::StrCat(source_of(s, line), ": ", message));
  return absl::InvalidArgumentError(absl::StrCat(s.file, ": ", message));
}

std::string names(const std::vector<NodeId>& ids) {
  return absl::StrCat(
      "[",
      absl::StrJoin(ids, ", ", [](std::string* out, NodeId id) { absl::StrAppend(out, "n", id); }),
      "]");
}

bool valid_probability(double p) { return p >= 0 && p <= 1; }

absl::Status validate_fault(const Scenario& s, const Fault& f) {
  if (f.at < Duration(0) || f.at > s.duration) {
    return error_at(
        s, f.line,
        absl::StrCat("fault at ", format_duration(f.at), " is outside the run (duration ",
                     format_duration(s.duration), ")"));
  }
  if (f.kind == FaultKind::kPause && f.length <= Duration(0)) {
    return error_at(s, f.line, "a pause needs a positive 'for'");
  }
  if (!valid_probability(f.link.loss) || !valid_probability(f.link.duplicate) ||
      !valid_probability(f.probability)) {
    return error_at(s, f.line, "probabilities must be in [0, 1]");
  }
  if (f.link.delay < Duration(0) || f.link.jitter < Duration(0) || f.length < Duration(0)) {
    return error_at(s, f.line, "durations must not be negative");
  }
  if (f.kind == FaultKind::kDisk) {
    if (auto st = validate_disk_fault(f); !st.ok())
      return error_at(s, f.line, std::string(st.message()));
  }
  auto known = [&](NodeId n) { return n >= 1 && n <= s.nodes.size(); };
  for (const auto* list : {&f.nodes, &f.from, &f.to}) {
    for (NodeId n : *list) {
      if (!known(n)) return error_at(s, f.line, absl::StrCat("no node n", n));
    }
  }
  for (const auto& g : f.groups) {
    for (NodeId n : g) {
      if (!known(n)) return error_at(s, f.line, absl::StrCat("no node n", n));
    }
  }
  return absl::OkStatus();
}

absl::Status validate_raft(const Scenario& s) {
  const std::vector<NodeId> meta = s.meta_ids();
  auto is_meta = [&](NodeId n) { return std::find(meta.begin(), meta.end(), n) != meta.end(); };
  for (NodeId v : s.meta().raft.voters) {
    if (!is_meta(v)) return error_at(s, 0, absl::StrCat("raft voter n", v, " has no meta role"));
  }
  if (!meta.empty() && s.voter_ids().empty()) return error_at(s, 0, "raft needs a voter");
  if (auto st = s.meta().validate(); !st.ok()) return error_at(s, 0, std::string(st.message()));
  for (const Fault& f : s.faults) {
    if (!is_raft_action(f.kind)) continue;
    for (NodeId n : f.nodes) {
      if (!is_meta(n)) {
        return error_at(s, f.line,
                        absl::StrCat(fault_kind_name(f.kind), ": n", n, " has no meta role"));
      }
    }
  }
  if (meta.empty() && s.checks.contains("raft_safety")) {
    return error_at(s, s.checks.at("raft_safety").line, "raft_safety needs nodes with role meta");
  }
  if (s.kv_server_ids().empty()) {
    // Key-value clients talk to meta, or to another role serving their protocol (a lab's).
    const std::string servers = absl::StrJoin(s.kv_server_roles, " or ");
    for (const char* name : {"linearizable", "progress"}) {
      if (s.checks.contains(name)) {
        return error_at(s, s.checks.at(name).line,
                        absl::StrCat(name, " needs nodes with role ", servers));
      }
    }
    if (s.workload().clients > 0) {
      return error_at(s, 0, absl::StrCat("a workload needs nodes with role ", servers));
    }
  }
  const bool storage = !s.nodes_with("storage").empty();
  if (s.chunks().clients > 0 && !storage) {
    return error_at(s, 0, "chunk clients need nodes with role storage");
  }
  const bool chunks_verified = s.chunks().clients > 0 && s.chunks().verify > Duration(0);
  const bool files_verified = s.files().clients > 0 && s.files().verify > Duration(0);
  if (s.checks.contains("durability") && !chunks_verified && !files_verified) {
    return error_at(s, s.checks.at("durability").line,
                    "durability judges what is read back: add chunks: {clients: N, verify: T} "
                    "or files: {clients: N, verify: T}");
  }
  if (s.chunks().verify >= s.duration) {
    return error_at(s, 0, "chunks verify is not before the end of the run");
  }
  if (s.files().clients > 0 && (meta.empty() || !storage)) {
    return error_at(s, 0, "file clients need nodes with roles meta and storage");
  }
  if (s.files().verify >= s.duration) {
    return error_at(s, 0, "files verify is not before the end of the run");
  }
  if (s.checks.contains("namespace_linearizable") && s.files().clients == 0) {
    return error_at(s, s.checks.at("namespace_linearizable").line,
                    "namespace_linearizable judges file operations: add files: {clients: N}");
  }
  if ((s.checks.contains("linearizable") || s.checks.contains("progress")) &&
      s.workload().clients == 0) {
    const int line = s.checks.contains("linearizable") ? s.checks.at("linearizable").line
                                                       : s.checks.at("progress").line;
    return error_at(s, line, "this check judges client operations: add a workload");
  }
  return absl::OkStatus();
}

// When the scenario's own partitions hold: from each partition to the next heal (or the
// end), and each heal as an instant (a drawn partition must not be ended by it).
std::vector<std::pair<Duration, Duration>> fixed_partitions(const Scenario& s) {
  std::vector<std::pair<Duration, Duration>> out;
  std::optional<Duration> since;
  for (const Fault& f : s.faults) {
    if (f.kind == FaultKind::kPartition && !since) since = f.at;
    if (f.kind == FaultKind::kHeal) {
      out.push_back({since.value_or(f.at), f.at});
      since.reset();
    }
  }
  if (since) out.push_back({*since, s.duration});
  return out;
}

}  // namespace

const NodeSpec* Scenario::find(const std::string& node_name) const {
  for (const auto& n : nodes) {
    if (n.name == node_name) return &n;
  }
  return nullptr;
}

std::vector<NodeId> Scenario::node_ids() const {
  std::vector<NodeId> out;
  for (const auto& n : nodes) out.push_back(n.id);
  return out;
}

std::vector<NodeId> Scenario::nodes_with(std::string_view role) const {
  std::vector<NodeId> out;
  for (const auto& n : nodes) {
    if (std::find(n.roles.begin(), n.roles.end(), role) != n.roles.end()) out.push_back(n.id);
  }
  return out;
}

std::vector<NodeId> Scenario::meta_ids() const { return nodes_with("meta"); }

std::vector<NodeId> Scenario::kv_server_ids() const {
  std::vector<NodeId> out;
  for (const std::string& role : kv_server_roles) {
    for (NodeId id : nodes_with(role)) out.push_back(id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<NodeId> Scenario::voter_ids() const {
  return meta().raft.voters.empty() ? meta_ids() : meta().raft.voters;
}

bool Scenario::has_raft_actions() const {
  for (const Fault& f : faults) {
    if (is_raft_action(f.kind)) return true;
  }
  return false;
}

bool is_raft_action(FaultKind kind) {
  return kind == FaultKind::kAddLearner || kind == FaultKind::kPromote ||
         kind == FaultKind::kRemoveMember || kind == FaultKind::kTransferLeader;
}

const std::vector<std::string>& known_checks() {
  static const std::vector<std::string> kChecks{"detection_time",
                                                "false_suspicions",
                                                "false_deaths",
                                                "recovery_time",
                                                "heal_time",
                                                "converged",
                                                "raft_safety",
                                                "linearizable",
                                                "progress",
                                                "durability",
                                                "namespace_linearizable",
                                                "redundancy",
                                                "drained",
                                                "expect"};
  return kChecks;
}

std::string fault_kind_name(FaultKind kind) {
  switch (kind) {
    case FaultKind::kCrash:
      return "crash";
    case FaultKind::kRestart:
      return "restart";
    case FaultKind::kPartition:
      return "partition";
    case FaultKind::kHeal:
      return "heal";
    case FaultKind::kLink:
      return "link";
    case FaultKind::kPause:
      return "pause";
    case FaultKind::kSlowDisk:
      return "slow_disk";
    case FaultKind::kTornWrites:
      return "torn_writes";
    case FaultKind::kDisk:
      return "disk";
    case FaultKind::kAddLearner:
      return "add_learner";
    case FaultKind::kPromote:
      return "promote";
    case FaultKind::kRemoveMember:
      return "remove";
    case FaultKind::kTransferLeader:
      return "transfer_leader";
    case FaultKind::kJoin:
      return "join";
    case FaultKind::kLeave:
      return "leave";
    case FaultKind::kDrain:
      return "drain";
  }
  return "unknown";
}

absl::Status validate(const Scenario& s) {
  if (s.nodes.empty()) return error_at(s, 0, "the platform needs at least one node");
  for (size_t i = 0; i < s.nodes.size(); ++i) {
    if (s.nodes[i].id != i + 1) return error_at(s, 0, "node ids must be 1..n in order");
  }
  if (s.link.bandwidth_bytes_per_s <= 0) return error_at(s, 0, "link bandwidth must be positive");
  if (s.link.latency < Duration(0)) return error_at(s, 0, "link latency must not be negative");
  if (!valid_probability(s.network.loss) || !valid_probability(s.network.duplicate)) {
    return error_at(s, 0, "network probabilities must be in [0, 1]");
  }
  if (auto st = s.membership().validate(); !st.ok()) {
    return error_at(s, 0, std::string(st.message()));
  }
  if (auto st = s.workload().validate(); !st.ok()) return error_at(s, 0, std::string(st.message()));
  if (s.workload().workload.until > s.duration) {
    return error_at(s, 0, "workload until is after the end of the run");
  }
  if (auto st = validate_raft(s); !st.ok()) return st;
  if (auto st = validate_placement(s); !st.ok()) return st;
  // Replay crashes and restarts in time order: each must make sense when it happens.
  std::map<NodeId, Duration> down_since;
  bool leader_down = false;
  for (const Fault& f : s.faults) {
    if (auto st = validate_fault(s, f); !st.ok()) return st;
    if (f.target_leader && (f.kind == FaultKind::kCrash || f.kind == FaultKind::kRestart)) {
      if ((f.kind == FaultKind::kCrash) == leader_down) {
        return error_at(s, f.line,
                        f.kind == FaultKind::kCrash
                            ? "the crashed leader must be restarted before the next"
                            : "restart: leader needs an earlier crash: leader");
      }
      leader_down = f.kind == FaultKind::kCrash;
    }
    for (NodeId n : f.nodes) {
      if (f.kind == FaultKind::kCrash) {
        if (down_since.contains(n)) {
          return error_at(s, f.line,
                          absl::StrCat("n", n, " is already down at ", format_duration(f.at),
                                       " (crashed at ", format_duration(down_since[n]), ")"));
        }
        down_since[n] = f.at;
      } else if (f.kind == FaultKind::kRestart) {
        if (!down_since.contains(n)) {
          return error_at(s, f.line,
                          absl::StrCat("n", n, " is not down at ", format_duration(f.at),
                                       ": nothing to restart"));
        }
        down_since.erase(n);
      }
    }
  }
  return absl::OkStatus();
}

void draw_random_faults(Scenario& s, uint64_t seed) {
  Rng rng(Rng::derive(seed, 0xfa017));
  const RandomFaultSpec& r = s.random_faults;
  auto draw = [&](Duration lo, Duration hi) {
    return Duration(rng.between(lo.count(), std::max(lo, hi).count()));
  };
  // Down intervals per node, so that drawn crashes never overlap each other or fixed ones.
  std::map<NodeId, std::vector<std::pair<Duration, Duration>>> down;
  std::map<NodeId, Duration> since;
  for (const Fault& f : s.faults) {
    for (NodeId n : f.nodes) {
      if (f.kind == FaultKind::kCrash) since[n] = f.at;
      if (f.kind == FaultKind::kRestart) down[n].push_back({since[n], f.at}), since.erase(n);
    }
  }
  for (auto& [n, t] : since) down[n].push_back({t, s.duration});
  for (int i = 0; i < r.crashes; ++i) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      const NodeId n = s.nodes[rng.below(s.nodes.size())].id;
      const Duration at = draw(r.crash_from, r.crash_to);
      const Duration back = at + draw(r.downtime_min, r.downtime_max);
      bool overlaps = false;
      for (auto [a, b] : down[n]) overlaps |= at <= b && a <= back;
      if (overlaps) continue;
      down[n].push_back({at, back});
      s.faults.push_back(Fault{.at = at, .kind = FaultKind::kCrash, .nodes = {n}});
      if (back < s.duration) {
        s.faults.push_back(Fault{.at = back, .kind = FaultKind::kRestart, .nodes = {n}});
      }
      break;
    }
  }
  // A heal ends every partition, so partitions must not overlap: a drawn one overlapping
  // another would be cut short by the other's heal, below its minimum length.
  std::vector<std::pair<Duration, Duration>> cut = fixed_partitions(s);
  for (int i = 0; i < r.partitions && s.nodes.size() >= 2; ++i) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      const Duration at = draw(r.partition_from, r.partition_to);
      const Duration end = at + draw(r.partition_min, r.partition_max);
      bool overlaps = false;
      for (auto [a, b] : cut) overlaps |= at <= b && a <= end;
      if (overlaps) continue;
      cut.push_back({at, end});
      std::vector<NodeId> ids = s.node_ids(), minority;
      const size_t k = 1 + rng.below(ids.size() / 2);
      for (size_t j = 0; j < k; ++j) {
        const size_t pick = rng.below(ids.size());
        minority.push_back(ids[pick]);
        ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(pick));
      }
      std::sort(minority.begin(), minority.end());
      s.faults.push_back(Fault{.at = at, .kind = FaultKind::kPartition, .groups = {minority, ids}});
      if (end < s.duration) s.faults.push_back(Fault{.at = end, .kind = FaultKind::kHeal});
      break;
    }
  }
  std::stable_sort(s.faults.begin(), s.faults.end(),
                   [](const Fault& a, const Fault& b) { return a.at < b.at; });
}

std::string describe_faults(const Scenario& s, const std::vector<FaultOutcome>* outcomes) {
  std::string out;
  for (size_t i = 0; i < s.faults.size(); ++i) {
    const Fault& f = s.faults[i];
    const FaultOutcome outcome =
        outcomes != nullptr && i < outcomes->size() ? (*outcomes)[i] : FaultOutcome{};
    const bool skipped = !outcome.skipped.empty();
    // `leader`, and the node it was when the fault happened.
    const std::string leader =
        outcome.hit == kNoNode ? "leader" : absl::StrCat("leader (n", outcome.hit, ")");
    absl::StrAppend(&out, "  - {at: ", format_duration(f.at), ", ", fault_kind_name(f.kind));
    switch (f.kind) {
      case FaultKind::kPartition:
        if (f.target_leader && f.isolate) {
          absl::StrAppend(&out, " (isolate): ", leader);
          break;
        }
        absl::StrAppend(&out, ": [");
        for (size_t j = 0; j < f.groups.size(); ++j) {
          std::vector<NodeId> group = f.groups[j];
          std::erase(group, outcome.hit);  // the leader moved to its own group
          std::string g = names(group);
          if (f.target_leader && static_cast<int>(j) == f.leader_group) {
            g.insert(1, group.empty() ? leader : leader + ", ");
          }
          absl::StrAppend(&out, j ? ", " : "", g);
        }
        absl::StrAppend(&out, "]", f.one_way ? ", one_way: true" : "");
        break;
      case FaultKind::kHeal:
        absl::StrAppend(&out, ": all");
        break;
      case FaultKind::kLink:
        absl::StrAppend(&out, ": {loss: ", f.link.loss, ", duplicate: ", f.link.duplicate,
                        ", delay: ", format_duration(f.link.delay),
                        ", jitter: ", format_duration(f.link.jitter), "}");
        break;
      case FaultKind::kTornWrites:
        absl::StrAppend(&out, ": ", f.probability);
        break;
      default:
        absl::StrAppend(&out, ": ", f.target_leader ? leader : names(f.nodes));
    }
    if (f.length > Duration(0)) absl::StrAppend(&out, ", for: ", format_duration(f.length));
    if (f.kind == FaultKind::kSlowDisk) absl::StrAppend(&out, ", factor: ", f.factor);
    if (f.kind == FaultKind::kCrash && f.lose_disk) absl::StrAppend(&out, ", lose_disk: true");
    if (f.kind == FaultKind::kDisk) absl::StrAppend(&out, describe_disk_fault(f.disk));
    absl::StrAppend(&out, "}", skipped ? absl::StrCat("   <- SKIPPED (", outcome.skipped, ")") : "",
                    "\n");
  }
  return out;
}

Scenario make_cluster_scenario(const std::string& name, size_t n, Duration duration) {
  Scenario s;
  s.name = name;
  s.file = "<generated>";
  s.duration = duration;
  s.zones = {"a", "b", "c"};
  for (size_t i = 1; i <= n; ++i) {
    s.nodes.push_back(NodeSpec{static_cast<NodeId>(i),
                               absl::StrCat("n", i),
                               s.zones[(i - 1) % s.zones.size()],
                               {"membership"}});
  }
  return s;
}

}  // namespace cairn::sim
