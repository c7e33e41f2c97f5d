// YAML -> Scenario. Strict: every key is known, every value has the right type and unit.
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/units.h"
#include "core/roles/builtin.h"
#include "core/wire/message_types.h"
#include "runtime-real/settings/role_settings.h"
#include "runtime-sim/scenario.h"
#include "runtime-sim/scenario_read.h"

namespace cairn::sim {
namespace {

using namespace settings;  // NOLINT: the reader's vocabulary
using yaml::read_disk_fault;
using yaml::read_raft_action;
using yaml::read_raft_check;
using yaml::read_transport;

class ScenarioReader {
 public:
  ScenarioReader(Scenario& s, const RoleRegistry& roles) : s_(s), roles_(roles) {}

  void read(const YAML::Node& root) {
    std::vector<std::string> keys{
        "name",          "description", "seed",    "duration",  "platform", "network",  "faults",
        "random_faults", "checks",      "metrics", "transport", "unsafe",   "placement"};
    for (const RoleInfo& r : roles_.roles()) {
      if (!r.settings.empty()) keys.push_back(r.settings);
    }
    only_keys(root, "the scenario", keys);
    s_.kv_server_roles.clear();
    for (const RoleInfo& r : roles_.roles()) {
      const auto& t = r.client_types;
      if (std::find(t.begin(), t.end(), wire::kKvRequest) != t.end()) {
        s_.kv_server_roles.push_back(r.name);
      }
    }
    if (!root["name"]) fail(root, "the scenario needs a 'name'");
    s_.name = scalar(root["name"], "name");
    if (root["description"]) s_.description = scalar(root["description"], "description");
    if (root["seed"]) s_.seed = static_cast<uint64_t>(integer(root["seed"], "seed", 0, INT64_MAX));
    if (!root["duration"]) fail(root, "the scenario needs a 'duration' (e.g. 120s)");
    s_.duration = duration(root["duration"], "duration");
    if (s_.duration <= Duration(0)) fail(root["duration"], "duration must be positive");
    if (!root["platform"]) fail(root, "the scenario needs a 'platform'");
    read_platform(root["platform"]);
    if (root["network"]) s_.network = read_link_faults(root["network"], "network");
    read_role_sections(root, roles_, s_.roles, [this](const YAML::Node& n) { return node_ref(n); });
    check_meta_sections(root);
    if (root["transport"]) {
      read_transport(root["transport"], s_,
                     root["membership"] && root["membership"]["first_contact"]);
    }
    if (root["unsafe"]) yaml::read_unsafe(root["unsafe"], s_);
    if (root["placement"]) yaml::read_placement(root["placement"], s_);
    if (root["faults"]) read_faults(root["faults"]);
    if (root["random_faults"]) read_random_faults(root["random_faults"]);
    if (root["checks"]) read_checks(root["checks"]);
    if (root["metrics"]) {
      only_keys(root["metrics"], "metrics", {"interval"});
      s_.metrics_interval = duration(root["metrics"]["interval"], "metrics interval");
      if (s_.metrics_interval <= Duration(0)) {
        fail(root["metrics"]["interval"], "metrics interval must be positive");
      }
    }
  }

 private:
  void read_platform(const YAML::Node& p) {
    only_keys(p, "platform", {"zones", "nodes", "link", "disk", "cpu"});
    if (p["zones"]) s_.zones = string_list(p["zones"], "zones");
    if (s_.zones.empty()) fail(p["zones"], "zones must not be empty");
    if (!p["nodes"]) fail(p, "platform needs 'nodes' (e.g. [{count: 5}])");
    const YAML::Node& groups = p["nodes"];
    if (!groups.IsSequence()) fail(groups, "nodes must be a list of groups like {count: 5}");
    for (const auto& g : groups) read_node_group(g);
    if (s_.nodes.empty()) fail(groups, "the platform needs at least one node");
    if (p["link"]) {
      only_keys(p["link"], "link", {"bandwidth", "latency", "flow_threshold"});
      if (p["link"]["bandwidth"]) {
        s_.link.bandwidth_bytes_per_s = bandwidth(p["link"]["bandwidth"], "link bandwidth");
      }
      if (p["link"]["latency"]) s_.link.latency = duration(p["link"]["latency"], "link latency");
      if (p["link"]["flow_threshold"]) {
        s_.link.flow_threshold_bytes = size(p["link"]["flow_threshold"], "link flow_threshold");
      }
    }
    if (p["disk"]) {
      only_keys(p["disk"], "disk", {"read", "write", "sync", "parallel"});
      if (p["disk"]["read"]) s_.disk.read_bytes_per_s = bandwidth(p["disk"]["read"], "disk read");
      if (p["disk"]["write"]) {
        s_.disk.write_bytes_per_s = bandwidth(p["disk"]["write"], "disk write");
      }
      if (p["disk"]["sync"]) s_.disk.sync_latency = duration(p["disk"]["sync"], "disk sync");
      if (p["disk"]["parallel"]) {
        s_.disk.parallel = integer(p["disk"]["parallel"], "disk parallel", 0, 1024);
      }
    }
    if (p["cpu"]) s_.cpu_flops = read_flops(p["cpu"]);
  }

  double read_flops(const YAML::Node& n) {
    const std::string s = scalar(n, "cpu");
    static const std::pair<const char*, double> kUnits[] = {
        {"Tf", 1e12}, {"Gf", 1e9}, {"Mf", 1e6}, {"kf", 1e3}, {"f", 1}};
    for (const auto& [suffix, factor] : kUnits) {
      const std::string suf(suffix);
      if (s.size() > suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0) {
        char* end = nullptr;
        const std::string num = s.substr(0, s.size() - suf.size());
        const double v = std::strtod(num.c_str(), &end);
        if (end == num.c_str() + num.size() && v > 0) return v * factor;
      }
    }
    fail(n, absl::StrCat("cpu must be a positive speed like 1Gf or 500Mf, got '", s, "'"));
  }

  void read_node_group(const YAML::Node& g) {
    only_keys(g, "a node group", {"count", "roles", "zone"});
    if (!g["count"]) fail(g, "a node group needs 'count'");
    const int64_t count = integer(g["count"], "count", 1, 100000);
    std::vector<std::string> roles{"membership"};
    if (g["roles"]) roles = string_list(g["roles"], "roles");
    for (const auto& r : roles) {
      const RoleInfo* role = roles_.find(r);
      if (role == nullptr || role->client_endpoint) {
        fail(g["roles"], absl::StrCat("unknown role '", r, "' (available: ", node_roles(), ")"));
      }
    }
    std::string zone = "spread";
    if (g["zone"]) zone = scalar(g["zone"], "zone");
    if (zone != "spread" && std::find(s_.zones.begin(), s_.zones.end(), zone) == s_.zones.end()) {
      fail(g["zone"], absl::StrCat("unknown zone '", zone,
                                   "' (zones: ", absl::StrJoin(s_.zones, ", "), ", or spread)"));
    }
    for (int64_t i = 0; i < count; ++i) {
      NodeSpec n;
      n.id = static_cast<NodeId>(s_.nodes.size() + 1);
      n.name = absl::StrCat("n", n.id);
      n.zone = zone == "spread" ? s_.zones[(n.id - 1) % s_.zones.size()] : zone;
      n.roles = roles;
      s_.nodes.push_back(n);
    }
  }

  LinkFaults read_link_faults(const YAML::Node& n, const std::string& where) {
    only_keys(n, where, {"loss", "duplicate", "delay", "jitter"});
    LinkFaults f;
    if (n["loss"]) f.loss = number(n["loss"], "loss", 0, 1);
    if (n["duplicate"]) f.duplicate = number(n["duplicate"], "duplicate", 0, 1);
    if (n["delay"]) f.delay = duration(n["delay"], "delay");
    if (n["jitter"]) f.jitter = duration(n["jitter"], "jitter");
    return f;
  }

  std::string node_roles() const {
    std::vector<std::string> out;
    for (const RoleInfo& r : roles_.roles()) {
      if (!r.client_endpoint) out.push_back(r.name);
    }
    return absl::StrJoin(out, ", ");
  }

  // What the `raft:` and `workload:` sections say that only the whole scenario can judge.
  void check_meta_sections(const YAML::Node& root) {
    const std::vector<NodeId> meta = s_.meta_ids();
    for (NodeId v : s_.meta().raft.voters) {
      if (std::find(meta.begin(), meta.end(), v) == meta.end()) {
        fail(root["raft"], absl::StrCat("n", v, " has no meta role"));
      }
    }
    if (s_.workload().workload.until > s_.duration) {
      fail(root["workload"], "until is after the end of the run");
    }
  }

  NodeId node_ref(const YAML::Node& n) {
    const std::string name = scalar(n, "a node name");
    const NodeSpec* spec = s_.find(name);
    if (spec == nullptr) {
      fail(n, absl::StrCat("no node named '", name, "' (nodes are n1..n", s_.nodes.size(), ")"));
    }
    return spec->id;
  }

  std::vector<NodeId> node_list(const YAML::Node& n) {
    if (n.IsScalar() && n.Scalar() == "all") return s_.node_ids();
    std::vector<NodeId> out;
    if (n.IsScalar()) return {node_ref(n)};
    if (!n.IsSequence()) fail(n, "expected a node name, a list of node names, or 'all'");
    for (const auto& item : n) out.push_back(node_ref(item));
    return out;
  }

  // `leader` (the Raft leader when the fault happens; for restart: the node the last
  // `crash: leader` took down) or node names.
  std::vector<NodeId> leader_or_nodes(const YAML::Node& n, Fault& out) {
    if (n.IsScalar() && n.Scalar() == "leader") {
      if (s_.meta_ids().empty()) fail(n, "'leader' needs nodes with role meta");
      out.target_leader = true;
      return {};
    }
    return node_list(n);
  }

  void read_faults(const YAML::Node& list) {
    if (!list.IsSequence()) fail(list, "faults must be a list like [{at: 20s, crash: n3}]");
    for (const auto& f : list) s_.faults.push_back(read_fault(f));
  }

  Fault read_fault(const YAML::Node& f) {
    if (f.IsMap() && f["disk"]) return read_disk_fault(f, s_);
    if (f.IsMap() && (f["join"] || f["leave"])) return yaml::read_placement_fault(f, s_);
    only_keys(f, "a fault",
              {"at",          "crash",       "lose_disk", "restart",   "partition",
               "isolate",     "one_way",     "heal",      "link",      "from",
               "to",          "pause",       "for",       "slow_disk", "factor",
               "torn_writes", "add_learner", "promote",   "remove",    "transfer_leader",
               "drain"});
    Fault out;
    out.line = f.Mark().line + 1;
    if (!f["at"]) fail(f, "a fault needs 'at' (when it happens, e.g. at: 20s)");
    out.at = duration(f["at"], "at");
    int actions = 0;
    for (const char* a :
         {"crash", "restart", "partition", "isolate", "heal", "link", "pause", "slow_disk",
          "torn_writes", "add_learner", "promote", "remove", "transfer_leader", "drain"}) {
      actions += f[a] ? 1 : 0;
    }
    if (actions != 1) {
      fail(f,
           "a fault needs exactly one of crash, restart, partition, isolate, heal, link, pause, "
           "slow_disk, torn_writes, disk, add_learner, promote, remove, transfer_leader, join, "
           "leave, drain");
    }
    if (read_raft_action(f, s_, out)) {
      // a membership action: add_learner, promote, remove or transfer_leader
    } else if (f["crash"]) {
      out.kind = FaultKind::kCrash;
      out.nodes = leader_or_nodes(f["crash"], out);
    } else if (f["restart"]) {
      out.kind = FaultKind::kRestart;
      out.nodes = leader_or_nodes(f["restart"], out);
    } else if (f["partition"]) {
      read_partition(f, out);
    } else if (f["isolate"]) {
      // One node (or the leader, found when the fault happens) cut off from all others.
      out.kind = FaultKind::kPartition;
      out.isolate = true;
      const std::vector<NodeId> one = leader_or_nodes(f["isolate"], out);
      if (!out.target_leader && one.size() != 1) fail(f["isolate"], "isolate takes one node");
      if (!out.target_leader) {
        std::vector<NodeId> rest;
        for (NodeId n : s_.node_ids()) {
          if (n != one.front()) rest.push_back(n);
        }
        out.groups = {one, rest};
      }
    } else if (f["heal"]) {
      out.kind = FaultKind::kHeal;
      if (scalar(f["heal"], "heal") != "all") fail(f["heal"], "heal takes 'all'");
    } else if (f["link"]) {
      out.kind = FaultKind::kLink;
      out.link = read_link_faults(f["link"], "link faults");
      if (f["from"]) out.from = node_list(f["from"]);
      if (f["to"]) out.to = node_list(f["to"]);
    } else if (f["pause"]) {
      out.kind = FaultKind::kPause;
      out.nodes = leader_or_nodes(f["pause"], out);
      if (!f["for"]) fail(f, "a pause needs 'for' (how long the node freezes)");
    } else if (f["slow_disk"]) {
      out.kind = FaultKind::kSlowDisk;
      out.nodes = node_list(f["slow_disk"]);
      if (!f["factor"]) fail(f, "slow_disk needs 'factor' (e.g. factor: 10)");
      out.factor = number(f["factor"], "factor", 1, 1e6);
    } else if (f["drain"]) {
      out.kind = FaultKind::kDrain;
      out.nodes = node_list(f["drain"]);
      for (NodeId n : out.nodes) {
        const auto storage = s_.nodes_with("storage");
        if (std::find(storage.begin(), storage.end(), n) == storage.end()) {
          fail(f["drain"], absl::StrCat("n", n, " is not a storage node: only those drain"));
        }
      }
      if (s_.nodes_with("meta").empty()) fail(f["drain"], "drain needs meta nodes (the registry)");
    } else if (f["torn_writes"]) {
      out.kind = FaultKind::kTornWrites;
      out.probability = number(f["torn_writes"], "torn_writes", 0, 1);
    }
    if (f["for"]) out.length = duration(f["for"], "for");
    for (const char* key : {"one_way", "from", "to", "for", "factor", "lose_disk"}) {
      if (!f[key]) continue;
      const bool fits = (std::string(key) == "one_way" && out.kind == FaultKind::kPartition) ||
                        (std::string(key) == "lose_disk" && out.kind == FaultKind::kCrash) ||
                        ((std::string(key) == "from" || std::string(key) == "to") &&
                         out.kind == FaultKind::kLink) ||
                        (std::string(key) == "for" && out.kind != FaultKind::kCrash &&
                         out.kind != FaultKind::kRestart && out.kind != FaultKind::kHeal &&
                         out.kind != FaultKind::kDrain && !is_raft_action(out.kind)) ||
                        (std::string(key) == "factor" && out.kind == FaultKind::kSlowDisk);
      if (!fits) {
        fail(f[key],
             absl::StrCat("'", key, "' does not apply to a ", fault_kind_name(out.kind), " fault"));
      }
    }
    if (f["lose_disk"]) out.lose_disk = boolean(f["lose_disk"], "lose_disk");
    return out;
  }

  void read_partition(const YAML::Node& f, Fault& out) {
    out.kind = FaultKind::kPartition;
    const YAML::Node& p = f["partition"];
    if (!p.IsSequence() || p.size() < 2) {
      fail(p, "partition takes two or more groups, e.g. [[n1, n2], [n3, n4, n5]]");
    }
    std::set<NodeId> seen;
    for (const auto& g : p) {
      auto group = partition_group(g, out);
      std::set<NodeId> in_group;
      for (NodeId n : group) {
        if (!in_group.insert(n).second) {
          fail(g, absl::StrCat("n", n, " is listed twice in this partition group"));
        }
        if (!seen.insert(n).second) fail(g, absl::StrCat("n", n, " is in two partition groups"));
      }
      out.groups.push_back(group);
    }
    if (f["one_way"]) {
      const std::string v = scalar(f["one_way"], "one_way");
      if (v != "true" && v != "false") fail(f["one_way"], "one_way must be true or false");
      out.one_way = v == "true";
    }
  }

  // One group of a partition: node names, `all`, and at most one `leader` in the whole
  // partition (the Raft leader when the fault happens, moved into this group then).
  std::vector<NodeId> partition_group(const YAML::Node& g, Fault& out) {
    if (!g.IsSequence()) return node_list(g);
    std::vector<NodeId> group;
    for (const auto& item : g) {
      if (item.IsScalar() && item.Scalar() == "leader") {
        if (out.target_leader) fail(item, "'leader' may appear once in a partition");
        if (s_.meta_ids().empty()) fail(item, "'leader' needs nodes with role meta");
        out.target_leader = true;
        out.leader_group = static_cast<int>(out.groups.size());
        continue;
      }
      group.push_back(node_ref(item));
    }
    return group;
  }

  void read_random_faults(const YAML::Node& r) {
    only_keys(r, "random_faults", {"crashes", "partitions"});
    auto& spec = s_.random_faults;
    if (const auto& c = r["crashes"]) {
      only_keys(c, "random crashes", {"count", "between", "downtime"});
      spec.crashes = static_cast<int>(integer(c["count"], "count", 0, 10000));
      std::tie(spec.crash_from, spec.crash_to) =
          c["between"] ? duration_range(c["between"], "between")
                       : std::pair<Duration, Duration>(Duration(0), s_.duration);
      if (c["downtime"]) {
        std::tie(spec.downtime_min, spec.downtime_max) = duration_range(c["downtime"], "downtime");
      }
    }
    if (const auto& p = r["partitions"]) {
      only_keys(p, "random partitions", {"count", "between", "length"});
      spec.partitions = static_cast<int>(integer(p["count"], "count", 0, 10000));
      std::tie(spec.partition_from, spec.partition_to) =
          p["between"] ? duration_range(p["between"], "between")
                       : std::pair<Duration, Duration>(Duration(0), s_.duration);
      if (p["length"]) {
        std::tie(spec.partition_min, spec.partition_max) = duration_range(p["length"], "length");
      }
    }
  }

  void read_checks(const YAML::Node& c) {
    if (!c.IsMap()) fail(c, "checks must be a mapping like {detection_time: {max: 5s}}");
    for (auto it = c.begin(); it != c.end(); ++it) {
      const std::string name = it->first.as<std::string>();
      const auto& known = known_checks();
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        fail(it->first,
             absl::StrCat("unknown check '", name, "' (known: ", absl::StrJoin(known, ", "), ")"));
      }
      s_.checks[name] = read_check(name, it->second);
    }
  }

  CheckSpec read_check(const std::string& name, const YAML::Node& n) {
    CheckSpec spec;
    spec.line = n.Mark().line + 1;
    if (read_raft_check(name, n, spec)) return spec;
    if (name == "expect") {
      read_expect(n, spec);
      return spec;
    }
    const bool is_count = name == "false_suspicions" || name == "false_deaths";
    const bool is_time = name == "detection_time" || name == "recovery_time" ||
                         name == "heal_time" || name == "redundancy";
    if (n.IsNull()) {
      if (is_count || is_time) fail(n, absl::StrCat(name, " needs {max: ...}"));
      return spec;
    }
    if (is_count) {
      only_keys(n, name, {"max", "window"});
      if (!n["max"]) fail(n, absl::StrCat(name, " needs 'max' (a count)"));
      spec.max_count = integer(n["max"], "max", 0, INT64_MAX);
      if (n["window"]) spec.window = duration(n["window"], "window");
    } else if (is_time) {
      if (name == "redundancy") {
        only_keys(n, name, {"max", "from"});
      } else {
        only_keys(n, name, {"max"});
      }
      if (!n["max"]) fail(n, absl::StrCat(name, " needs 'max' (a duration)"));
      spec.max_duration = duration(n["max"], "max");
      if (n["from"]) {
        if (scalar(n["from"], "from") != "last_fault") {
          fail(n["from"],
               "redundancy's 'from' takes last_fault (the clock starts at the last fault)");
        }
        spec.from_last_fault = true;
      }
    } else {
      only_keys(n, name, {});
    }
    return spec;
  }

  // A mapping of figures, or a list of them (to judge one figure over several windows).
  void read_expect(const YAML::Node& n, CheckSpec& spec) {
    if (n.IsSequence()) {
      for (const auto& item : n) read_expect(item, spec);
      if (n.size() > 0) return;
    }
    if (!n.IsMap() || n.size() == 0) {
      fail(n,
           "expect needs figures, e.g. {membership_refutations: {min: 2, between: [110s, 130s]}}");
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      Expectation e;
      e.figure = scalar(it->first, "a figure name");
      e.line = it->first.Mark().line + 1;
      const YAML::Node& v = it->second;
      only_keys(v, e.figure, {"min", "max", "between"});
      if (v["min"]) e.min = number(v["min"], "min", -1e18, 1e18);
      if (v["max"]) e.max = number(v["max"], "max", -1e18, 1e18);
      if (!e.min && !e.max) fail(v, absl::StrCat(e.figure, " needs min or max"));
      if (v["between"]) {
        auto [from, to] = duration_range(v["between"], "between");
        if (to > s_.duration) fail(v["between"], "between ends after the run");
        e.from = from;
        e.to = to;
      }
      spec.expect.push_back(e);
    }
  }

  Scenario& s_;
  const RoleRegistry& roles_;
};

}  // namespace

absl::StatusOr<Scenario> parse_scenario_text(const std::string& text, const std::string& file) {
  return parse_scenario_text(text, file, builtin_roles());
}

absl::StatusOr<Scenario> parse_scenario_text(const std::string& text, const std::string& file,
                                             const RoleRegistry& roles) {
  return parse_scenario_text(text, file, roles, {});
}

absl::StatusOr<Scenario> parse_scenario_text(const std::string& text, const std::string& file,
                                             const RoleRegistry& roles,
                                             const std::vector<SetOverride>& overrides) {
  Scenario s;
  s.file = file;
  if (!overrides.empty()) {
    s.set_first_line = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 2;
    for (const SetOverride& o : overrides) s.set_sources.push_back(o.source);
  }
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) {
      return absl::InvalidArgumentError(absl::StrCat(file, ":1: a scenario must be a mapping"));
    }
    yaml::reject_duplicate_keys(root);
    yaml::apply_overrides(root, overrides, s.set_first_line);
    ScenarioReader(s, roles).read(root);
  } catch (const settings::ParseError& e) {
    return absl::InvalidArgumentError(absl::StrCat(source_of(s, e.line), ": ", e.message));
  } catch (const YAML::Exception& e) {
    const settings::ParseError plain = yaml::explain_yaml_error(e, text);
    return absl::InvalidArgumentError(
        absl::StrCat(file, ":", plain.line, ": YAML syntax: ", plain.message));
  }
  std::stable_sort(s.faults.begin(), s.faults.end(),
                   [](const Fault& a, const Fault& b) { return a.at < b.at; });
  if (auto st = validate(s); !st.ok()) return st;
  return s;
}

absl::StatusOr<Scenario> parse_scenario_file(const std::string& path) {
  return parse_scenario_file(path, builtin_roles());
}

absl::StatusOr<Scenario> parse_scenario_file(const std::string& path, const RoleRegistry& roles) {
  return parse_scenario_file(path, roles, {});
}

absl::StatusOr<Scenario> parse_scenario_file(const std::string& path,
                                             const std::vector<SetOverride>& overrides) {
  return parse_scenario_file(path, builtin_roles(), overrides);
}

absl::StatusOr<Scenario> parse_scenario_file(const std::string& path, const RoleRegistry& roles,
                                             const std::vector<SetOverride>& overrides) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open scenario file"));
  std::stringstream buf;
  buf << in.rdbuf();
  return parse_scenario_text(buf.str(), path, roles, overrides);
}

}  // namespace cairn::sim
