#include "runtime-sim/placement_run.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/base/assert.h"
#include "core/base/units.h"
#include "core/runtime/rng.h"

namespace cairn::sim {
namespace {

// Streams of the scenario seed used by nothing else.
constexpr uint64_t kIdentityStream = 0x91ace1d;
constexpr uint64_t kKeyStream = 0x91acec4;

std::string node_names(const std::vector<NodeId>& ids) {
  return absl::StrJoin(ids, " ",
                       [](std::string* out, NodeId id) { absl::StrAppend(out, "n", id); });
}

std::string policy_text(const PlacementSpec& p) {
  if (p.policy.kind == placement::PolicyKind::kRing) {
    return absl::StrCat("ring, ", p.policy.vnodes, " points per node");
  }
  return placement::policy_kind_name(p.policy.kind);
}

}  // namespace

PlacementRun::PlacementRun(const Scenario& scenario, Record record)
    : scenario_(scenario), record_(std::move(record)) {
  CAIRN_ASSERT(scenario_.placement.enabled);
  Rng ids(Rng::derive(scenario_.seed, kIdentityStream));
  std::set<placement::NodeId> taken;
  for (NodeId n : scenario_.node_ids()) {
    placement::NodeId id = 0;
    while (id == 0 || taken.contains(id)) id = static_cast<placement::NodeId>(ids.next());
    taken.insert(id);
    identity_[n] = id;
  }
  const std::vector<NodeId> start = initial_placement_nodes(scenario_);
  placed_.insert(start.begin(), start.end());
}

placement::Membership PlacementRun::membership(uint64_t epoch) const {
  placement::Membership m{epoch, {}};
  for (NodeId n : placed_) {
    m.nodes.push_back({identity_.at(n), scenario_.nodes[n - 1].zone, "r", 1.0});
  }
  return m;
}

void PlacementRun::start(Duration) {
  const PlacementSpec& p = scenario_.placement;
  Rng rng(Rng::derive(scenario_.seed, kKeyStream));
  std::vector<uint64_t> keys(static_cast<size_t>(p.stripes));
  for (uint64_t& k : keys) k = rng.next();
  auto placed = placement::PlacedStripes::place(p.policy, membership(1), std::move(keys), p.shards);
  CAIRN_ASSERT(placed.ok());  // validate_placement() checked the node count
  stripes_.emplace(std::move(*placed));
  start_load_ = stripes_->load();
  record_(Event{"placement_start",
                {{"policy", placement::policy_kind_name(p.policy.kind)},
                 {"vnodes", int64_t{p.policy.vnodes}},
                 {"nodes", static_cast<int64_t>(placed_.size())},
                 {"stripes", p.stripes},
                 {"shards", int64_t{p.shards}},
                 {"load_max_over_mean", start_load_.max_over_mean}}});
}

void PlacementRun::apply(const Fault& fault, Duration at) {
  CAIRN_ASSERT(stripes_.has_value());
  for (NodeId n : fault.nodes) {
    if (fault.kind == FaultKind::kJoin) {
      placed_.insert(n);
    } else {
      placed_.erase(n);
    }
  }
  auto f = stripes_->change(membership(steps_.size() + 2));
  CAIRN_ASSERT(f.ok());  // validate_placement() replayed the changes
  steps_.push_back(Step{at, fault.kind, fault.nodes, placed_.size(), *f});
  record_(Event{"placement_change",
                {{"change", fault_kind_name(fault.kind)},
                 {"targets", node_names(fault.nodes)},
                 {"nodes", static_cast<int64_t>(placed_.size())},
                 {"moved", static_cast<int64_t>(f->moved)},
                 {"shards", static_cast<int64_t>(f->shards)},
                 {"moved_fraction", f->moved_fraction},
                 {"ideal_fraction", f->ideal_fraction},
                 {"moved_over_ideal", f->moved_over_ideal()},
                 {"moves_between_stayers", static_cast<int64_t>(f->moved_between_stayers)},
                 {"load_max_over_mean", f->load.max_over_mean}}});
}

std::string PlacementRun::report() const {
  const PlacementSpec& p = scenario_.placement;
  std::string out = absl::StrCat("placement: ", policy_text(p), "; ", p.stripes, " stripes of ",
                                 p.shards, " shards (", p.stripes * p.shards, " shards)\n");
  absl::StrAppend(&out, absl::StrFormat("  %8s  %-12s %5s  %7s  %7s  %11s  %15s  %13s\n", "at",
                                        "change", "nodes", "moved", "ideal", "moved/ideal",
                                        "between stayers", "load max/mean"));
  const size_t start_nodes = initial_placement_nodes(scenario_).size();
  absl::StrAppend(&out,
                  absl::StrFormat("  %8s  %-12s %5d  %7s  %7s  %11s  %15s  %13.3f\n", "0s", "start",
                                  start_nodes, "-", "-", "-", "-", start_load_.max_over_mean));
  for (const Step& s : steps_) {
    const placement::ChangeFigures& f = s.figures;
    absl::StrAppend(
        &out, absl::StrFormat("  %8s  %-12s %5d  %6.2f%%  %6.2f%%  %11.3f  %15d  %13.3f\n",
                              format_duration(s.at),
                              absl::StrCat(fault_kind_name(s.kind), " ", node_names(s.nodes)),
                              s.placed, 100 * f.moved_fraction, 100 * f.ideal_fraction,
                              f.moved_over_ideal(), f.moved_between_stayers, f.load.max_over_mean));
  }
  return out;
}

void PlacementRun::add_metrics(std::map<std::string, double>& m) const {
  double between = 0, load_max = start_load_.max_over_mean;
  std::map<FaultKind, std::pair<double, double>> ratio;  // min, max per kind
  for (const Step& s : steps_) {
    between += static_cast<double>(s.figures.moved_between_stayers);
    load_max = std::max(load_max, s.figures.load.max_over_mean);
    const double r = s.figures.moved_over_ideal();
    auto [it, fresh] = ratio.try_emplace(s.kind, r, r);
    it->second = {std::min(it->second.first, r), std::max(it->second.second, r)};
  }
  m["placement_changes"] = static_cast<double>(steps_.size());
  m["placement_moves_between_stayers"] = between;
  m["placement_load_max_over_mean_max"] = load_max;
  for (const auto& [kind, minmax] : ratio) {
    const std::string k = absl::StrCat("placement_", fault_kind_name(kind), "_moved_over_ideal");
    m[k + "_min"] = minmax.first;
    m[k + "_max"] = minmax.second;
  }
}

std::optional<double> PlacementRun::figure(const std::string& name, Duration from,
                                           Duration to) const {
  std::vector<const Step*> in;
  double load = start_load_.max_over_mean;  // the placement in force at `from`
  for (const Step& s : steps_) {
    if (s.at < from) load = s.figures.load.max_over_mean;
    if (s.at >= from && s.at < to) in.push_back(&s);
  }
  if (name == "placement_changes") return static_cast<double>(in.size());
  if (name == "placement_load_max_over_mean") {
    for (const Step* s : in) load = std::max(load, s->figures.load.max_over_mean);
    return load;
  }
  double moved = 0, ideal = 0, between = 0;
  for (const Step* s : in) {
    moved += s->figures.moved_fraction;
    ideal += s->figures.ideal_fraction;
    between += static_cast<double>(s->figures.moved_between_stayers);
  }
  if (name == "placement_moves_between_stayers") return between;
  if (in.empty()) return std::nullopt;
  if (name == "placement_moved_fraction") return moved;
  if (name == "placement_moved_over_ideal") return ideal > 0 ? moved / ideal : 0;
  return std::nullopt;
}

}  // namespace cairn::sim
