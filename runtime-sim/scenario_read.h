// Internal to the scenario reader (runtime-sim): the Raft parts of `faults:` and `checks:`
// (scenario_raft_yaml.cc), on the strict YAML helpers shared with cairnd
// (runtime-real/settings/yaml_read.h). Mistakes throw settings::ParseError.
#pragma once

#include "runtime-real/settings/yaml_read.h"
#include "runtime-sim/scenario.h"

namespace cairn::sim::yaml {

using namespace cairn::settings;  // NOLINT: the reader's vocabulary

// `transport:` (scenario_transport_yaml.cc); read after `membership:`, whose first_contact
// it defaults to the longest back-off when the model is on.
void read_transport(const YAML::Node& n, Scenario& s, bool first_contact_given);

// A `disk:` fault (disk_faults_yaml.cc). REQUIRES: f["disk"] is set.
Fault read_disk_fault(const YAML::Node& f, const Scenario& s);

// `placement:` and the `join` / `leave` faults of the placement lesson (placement_yaml.cc).
// REQUIRES: the platform was read; f["join"] or f["leave"] is set.
void read_placement(const YAML::Node& n, Scenario& s);
Fault read_placement_fault(const YAML::Node& f, const Scenario& s);

// Fills `out` if `f` is a membership action (add_learner, promote, remove,
// transfer_leader); returns whether it was one.
bool read_raft_action(const YAML::Node& f, const Scenario& s, Fault& out);
// `unsafe: {raft_bug: NAME}`: a planted Raft bug. REQUIRES: the platform was read.
void read_unsafe(const YAML::Node& n, Scenario& s);
// raft_safety, linearizable, namespace_linearizable, progress; false if `name` is none of them.
bool read_raft_check(const std::string& name, const YAML::Node& n, CheckSpec& spec);

// Lines given to each `--set` override's nodes (scenario_set.cc).
constexpr int kSetLines = 10000;
// Applies `overrides` to `root`; the nodes of override k carry lines from
// first_line + k * kSetLines on. A path that cannot be followed throws ParseError there.
void apply_overrides(YAML::Node& root, const std::vector<SetOverride>& overrides, int first_line);

// scenario_syntax.cc: a key given twice in one mapping (anywhere in the tree) is a mistake.
void reject_duplicate_keys(const YAML::Node& root);
// A YAML syntax error in plain words, at the line of the mistake (for an unclosed bracket:
// the line where it opens).
ParseError explain_yaml_error(const YAML::Exception& e, const std::string& text);

}  // namespace cairn::sim::yaml
