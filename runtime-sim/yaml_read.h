// Helpers for reading scenario YAML strictly (runtime-sim internal): each reports a mistake
// by throwing ParseError with the offending node's line; parse_scenario_text() turns it
// into `file:line: message`. Shared by scenario_yaml.cc and scenario_raft_yaml.cc.
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "runtime-sim/scenario.h"

namespace cairn::sim::yaml {

// Parse errors travel as this exception inside the scenario reader only.
struct ParseError {
  int line;
  std::string message;
};

[[noreturn]] void fail(const YAML::Node& node, std::string message);
void only_keys(const YAML::Node& map, const std::string& where,
               std::initializer_list<const char*> allowed);
std::string scalar(const YAML::Node& n, const std::string& what);
Duration duration(const YAML::Node& n, const std::string& what);
double bandwidth(const YAML::Node& n, const std::string& what);
uint64_t size(const YAML::Node& n, const std::string& what);  // e.g. 16KiB
double number(const YAML::Node& n, const std::string& what, double lo, double hi);
int64_t integer(const YAML::Node& n, const std::string& what, int64_t lo, int64_t hi);
bool boolean(const YAML::Node& n, const std::string& what);
std::vector<std::string> string_list(const YAML::Node& n, const std::string& what);
std::pair<Duration, Duration> duration_range(const YAML::Node& n, const std::string& what);

// The raft parts of a scenario (scenario_raft_yaml.cc).
void read_raft(const YAML::Node& n, Scenario& s);
void read_workload(const YAML::Node& n, Scenario& s);
// Fills `out` if `f` is a membership action (add_learner, promote, remove,
// transfer_leader); returns whether it was one.
bool read_raft_action(const YAML::Node& f, const Scenario& s, Fault& out);
// A `disk:` fault (disk_faults_yaml.cc). REQUIRES: f["disk"] is set.
Fault read_disk_fault(const YAML::Node& f, const Scenario& s);
// raft_safety, linearizable, progress; false if `name` is none of them.
bool read_raft_check(const std::string& name, const YAML::Node& n, CheckSpec& spec);

}  // namespace cairn::sim::yaml
