// The `disk:` fault of a scenario (docs/scenarios.md, "disk faults"), strictly read:
//   - {at: 30s, disk: n3, bitrot: {files: 2}}
//   - {at: 10s, disk: n2, slow: 10x, for: 20s}      # or slow: 5ms (added per operation)
//   - {at: 5s, disk: n4, full: true}                 # or capacity: 64MiB
//   - {at: 0s, disk: all, read_errors: 1%, lost_writes: 0.1%, misdirected_writes: 0.1%}
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/units.h"
#include "runtime-sim/scenario.h"
#include "runtime-sim/scenario_read.h"

namespace cairn::sim {
namespace yaml {
namespace {

// A probability written as a percentage ("1%", "0.1%") or a fraction in [0, 1] ("0.01").
double probability(const YAML::Node& n, const std::string& what) {
  const std::string s = scalar(n, what);
  const bool percent = !s.empty() && s.back() == '%';
  const std::string num = percent ? s.substr(0, s.size() - 1) : s;
  char* end = nullptr;
  const double v = std::strtod(num.c_str(), &end);
  if (num.empty() || end != num.c_str() + num.size()) {
    fail(n, absl::StrCat(what, " must be a percentage like 1% or a fraction like 0.01, got '", s,
                         "'"));
  }
  const double p = percent ? v / 100 : v;
  if (p < 0 || p > 1) fail(n, absl::StrCat(what, " must be between 0% and 100%, got ", s));
  return p;
}

std::vector<NodeId> disk_targets(const YAML::Node& n, const Scenario& s) {
  if (n.IsScalar() && n.Scalar() == "all") return s.node_ids();
  std::vector<std::string> names;
  if (n.IsScalar()) {
    names.push_back(n.Scalar());
  } else if (n.IsSequence()) {
    for (const auto& item : n) names.push_back(scalar(item, "a node name"));
  } else {
    fail(n, "disk takes a node name, a list of node names, or 'all'");
  }
  std::vector<NodeId> out;
  for (const std::string& name : names) {
    const NodeSpec* spec = s.find(name);
    if (spec == nullptr) {
      fail(n, absl::StrCat("no node named '", name, "' (nodes are n1..n", s.nodes.size(), ")"));
    }
    out.push_back(spec->id);
  }
  return out;
}

// `slow`: a factor ("10x": reads, writes and syncs take 10 times longer) or a duration
// added to every disk operation ("5ms").
void read_slow(const YAML::Node& n, DiskFaultSpec& d) {
  const std::string s = scalar(n, "slow");
  if (!s.empty() && s.back() == 'x') {
    const std::string num = s.substr(0, s.size() - 1);
    char* end = nullptr;
    const double v = std::strtod(num.c_str(), &end);
    if (num.empty() || end != num.c_str() + num.size() || v < 1 || v > 1e6) {
      fail(n, absl::StrCat("slow factor must be in [1x, 1000000x], got '", s, "'"));
    }
    d.slow_factor = v;
    return;
  }
  d.slow_latency = duration(n, "slow (a factor like 10x or a latency like 5ms)");
  if (*d.slow_latency < Duration(0)) fail(n, "slow latency must not be negative");
}

}  // namespace

Fault read_disk_fault(const YAML::Node& f, const Scenario& s) {
  only_keys(f, "a disk fault",
            {"at", "disk", "for", "read_errors", "lost_writes", "misdirected_writes", "bitrot",
             "full", "capacity", "slow"});
  Fault out;
  out.kind = FaultKind::kDisk;
  out.line = f.Mark().line + 1;
  if (!f["at"]) fail(f, "a fault needs 'at' (when it happens, e.g. at: 20s)");
  out.at = duration(f["at"], "at");
  out.nodes = disk_targets(f["disk"], s);
  DiskFaultSpec& d = out.disk;
  if (f["read_errors"]) d.read_errors = probability(f["read_errors"], "read_errors");
  if (f["lost_writes"]) d.lost_writes = probability(f["lost_writes"], "lost_writes");
  if (f["misdirected_writes"]) {
    d.misdirected_writes = probability(f["misdirected_writes"], "misdirected_writes");
  }
  if (f["full"]) d.full = boolean(f["full"], "full");
  if (f["capacity"]) {
    d.capacity_bytes = size(f["capacity"], "capacity");
    if (*d.capacity_bytes == 0) fail(f["capacity"], "capacity must be positive");
  }
  if (f["full"] && f["capacity"]) fail(f["capacity"], "give either 'full' or 'capacity', not both");
  if (f["slow"]) read_slow(f["slow"], d);
  if (const YAML::Node& rot = f["bitrot"]) {
    only_keys(rot, "bitrot", {"files"});
    if (!rot["files"]) fail(rot, "bitrot needs 'files' (how many files rot, e.g. {files: 2})");
    d.rot_files = static_cast<uint64_t>(integer(rot["files"], "bitrot files", 1, 1000000));
  }
  if (f["for"]) out.length = duration(f["for"], "for");
  if (auto st = validate_disk_fault(out); !st.ok()) fail(f, std::string(st.message()));
  return out;
}

}  // namespace yaml

absl::Status validate_disk_fault(const Fault& f) {
  const DiskFaultSpec& d = f.disk;
  const bool changes = d.read_errors || d.lost_writes || d.misdirected_writes || d.full ||
                       d.capacity_bytes || d.slow_factor || d.slow_latency;
  if (!changes && d.rot_files == 0) {
    return absl::InvalidArgumentError(
        "a disk fault needs one of read_errors, lost_writes, misdirected_writes, bitrot, full, "
        "capacity, slow");
  }
  if (f.length > Duration(0) && !changes) {
    return absl::InvalidArgumentError("'for' does not apply to bitrot alone (it is one-shot)");
  }
  for (const auto& p : {d.read_errors, d.lost_writes, d.misdirected_writes}) {
    if (p && (*p < 0 || *p > 1))
      return absl::InvalidArgumentError("probabilities must be in [0, 1]");
  }
  if (d.slow_factor && *d.slow_factor < 1) {
    return absl::InvalidArgumentError("slow factor must be at least 1x");
  }
  if (d.capacity_bytes && *d.capacity_bytes == 0) {
    return absl::InvalidArgumentError("capacity must be positive");
  }
  if (f.nodes.empty()) return absl::InvalidArgumentError("a disk fault needs target nodes");
  return absl::OkStatus();
}

std::string describe_disk_fault(const DiskFaultSpec& d) {
  std::string out;
  auto pct = [](double p) { return absl::StrFormat("%g%%", p * 100); };
  if (d.read_errors) absl::StrAppend(&out, ", read_errors: ", pct(*d.read_errors));
  if (d.lost_writes) absl::StrAppend(&out, ", lost_writes: ", pct(*d.lost_writes));
  if (d.misdirected_writes) {
    absl::StrAppend(&out, ", misdirected_writes: ", pct(*d.misdirected_writes));
  }
  if (d.full) absl::StrAppend(&out, ", full: ", *d.full ? "true" : "false");
  if (d.capacity_bytes) absl::StrAppend(&out, ", capacity: ", *d.capacity_bytes, "B");
  if (d.slow_factor) absl::StrAppend(&out, ", slow: ", *d.slow_factor, "x");
  if (d.slow_latency) absl::StrAppend(&out, ", slow: ", format_duration(*d.slow_latency));
  if (d.rot_files > 0) absl::StrAppend(&out, ", bitrot: {files: ", d.rot_files, "}");
  return out;
}

}  // namespace cairn::sim
