// The placement lesson's parts of a scenario (docs/scenarios.md, "placement"), strictly read:
//   placement: {policy: ring, vnodes: 16, stripes: 20000, shards: 3}
//   faults:
//     - {at: 10s, join: n9}
//     - {at: 30s, leave: [n3]}
// A node whose first join or leave is a join starts outside the placed set.
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/units.h"
#include "runtime-sim/scenario.h"
#include "runtime-sim/scenario_read.h"

namespace cairn::sim {
namespace yaml {

void read_placement(const YAML::Node& n, Scenario& s) {
  only_keys(n, "placement", {"policy", "vnodes", "stripes", "shards"});
  PlacementSpec& p = s.placement;
  p.enabled = true;
  p.line = n.Mark().line + 1;
  if (n["policy"]) {
    const std::string name = scalar(n["policy"], "policy");
    bool known = false;
    for (auto kind : {placement::PolicyKind::kRing, placement::PolicyKind::kRendezvous,
                      placement::PolicyKind::kModulo}) {
      if (name != placement::policy_kind_name(kind)) continue;
      p.policy.kind = kind;
      known = true;
    }
    if (!known) {
      fail(n["policy"],
           absl::StrCat("unknown placement policy '", name, "' (known: ring, rendezvous, modulo)"));
    }
  }
  if (n["vnodes"]) p.policy.vnodes = static_cast<int>(integer(n["vnodes"], "vnodes", 1, 100000));
  if (n["stripes"]) p.stripes = integer(n["stripes"], "stripes", 1, 10'000'000);
  if (n["shards"]) p.shards = static_cast<int>(integer(n["shards"], "shards", 1, 64));
}

Fault read_placement_fault(const YAML::Node& f, const Scenario& s) {
  only_keys(f, "a join or leave", {"at", "join", "leave"});
  Fault out;
  out.line = f.Mark().line + 1;
  if (!f["at"]) fail(f, "a fault needs 'at' (when it happens, e.g. at: 20s)");
  out.at = duration(f["at"], "at");
  if (f["join"] && f["leave"]) fail(f, "a fault is either a join or a leave, not both");
  out.kind = f["join"] ? FaultKind::kJoin : FaultKind::kLeave;
  const YAML::Node& targets = f["join"] ? f["join"] : f["leave"];
  std::vector<std::string> names;
  if (targets.IsScalar()) {
    names.push_back(targets.Scalar());
  } else if (targets.IsSequence() && targets.size() > 0) {
    for (const auto& item : targets) names.push_back(scalar(item, "a node name"));
  } else {
    fail(targets, absl::StrCat(fault_kind_name(out.kind), " takes a node name or a list of them"));
  }
  for (const std::string& name : names) {
    const NodeSpec* spec = s.find(name);
    if (spec == nullptr) {
      fail(targets,
           absl::StrCat("no node named '", name, "' (nodes are n1..n", s.nodes.size(), ")"));
    }
    if (std::find(out.nodes.begin(), out.nodes.end(), spec->id) != out.nodes.end()) {
      fail(targets, absl::StrCat(name, " is listed twice"));
    }
    out.nodes.push_back(spec->id);
  }
  if (!s.placement.enabled) {
    fail(f, absl::StrCat(fault_kind_name(out.kind),
                         " needs a placement: section (e.g. placement: {policy: ring})"));
  }
  return out;
}

}  // namespace yaml

namespace {

bool is_placement_change(const Fault& f) {
  return f.kind == FaultKind::kJoin || f.kind == FaultKind::kLeave;
}

absl::Status error_at(const Scenario& s, int line, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat(source_of(s, line), ": ", message));
}

}  // namespace

std::vector<NodeId> initial_placement_nodes(const Scenario& s) {
  std::map<NodeId, FaultKind> first;
  for (const Fault& f : s.faults) {
    if (!is_placement_change(f)) continue;
    for (NodeId n : f.nodes) first.try_emplace(n, f.kind);
  }
  std::vector<NodeId> out;
  for (NodeId n : s.node_ids()) {
    auto it = first.find(n);
    if (it == first.end() || it->second != FaultKind::kJoin) out.push_back(n);
  }
  return out;
}

absl::Status validate_placement(const Scenario& s) {
  const PlacementSpec& p = s.placement;
  if (!p.enabled) {
    for (const Fault& f : s.faults) {
      if (is_placement_change(f)) {
        return error_at(s, f.line,
                        absl::StrCat(fault_kind_name(f.kind), " needs a placement: section"));
      }
    }
    return absl::OkStatus();
  }
  const std::vector<NodeId> start = initial_placement_nodes(s);
  std::set<NodeId> placed(start.begin(), start.end());
  if (placed.size() < static_cast<size_t>(p.shards)) {
    return error_at(s, p.line,
                    absl::StrCat(placed.size(), " nodes are placed at the start, fewer than the ",
                                 p.shards, " shards of a stripe"));
  }
  std::map<NodeId, Duration> since;
  for (const Fault& f : s.faults) {
    if (!is_placement_change(f)) continue;
    for (NodeId n : f.nodes) {
      const bool in = placed.contains(n);
      if (f.kind == FaultKind::kJoin && in) {
        // A node placed from the start leaves first: only a second join gets here.
        return error_at(s, f.line,
                        absl::StrCat("n", n, " is already placed at ", format_duration(f.at),
                                     " (it joined at ", format_duration(since[n]), ")"));
      }
      if (f.kind == FaultKind::kLeave && !in) {
        return error_at(s, f.line,
                        absl::StrCat("n", n, " is not placed at ", format_duration(f.at),
                                     ": nothing to leave"));
      }
      if (f.kind == FaultKind::kJoin) {
        placed.insert(n);
        since[n] = f.at;
      } else {
        placed.erase(n);
      }
    }
    if (placed.size() < static_cast<size_t>(p.shards)) {
      return error_at(
          s, f.line,
          absl::StrCat("after this leave ", placed.size(), " nodes are placed, fewer than the ",
                       p.shards, " shards of a stripe"));
    }
  }
  return absl::OkStatus();
}

}  // namespace cairn::sim
