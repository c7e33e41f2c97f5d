// Reads role options (core/runtime/role.h) from YAML: the one reader behind the role
// sections of scenario files and cairnd configs (`membership:`, `raft:`, `workload:`, ...),
// so both say the same keys with the same units and the same `file:line: message` errors.
//
// A section is a mapping; every key must be one the options struct names in visit(),
// values are checked for kind, unit and range, then validate() judges the whole. Keys
// that are absent keep their defaults. Throws settings::ParseError (see yaml_read.h).
#pragma once

#include <functional>
#include <set>
#include <string>

#include "core/base/settings.h"
#include "core/runtime/role.h"
#include "runtime-real/settings/yaml_read.h"

namespace cairn::settings {

// Turns a node reference ("n3", or 3) into an id; fails (throws) on an unknown node.
using NodeRef = std::function<NodeId(const YAML::Node& n)>;

// Fills `options` from `section` (named `where` in messages), then validates it.
void read_options(const YAML::Node& section, const std::string& where, RoleOptions& options,
                  const NodeRef& node_ref);

// Reads every section of `root` that belongs to a role in `roles` into `out` (by role
// name), starting from the options `out` already holds (else the role's defaults), and
// returns the keys it consumed.
std::set<std::string> read_role_sections(const YAML::Node& root, const RoleRegistry& roles,
                                         RoleSettings& out, const NodeRef& node_ref);

// Accepts "n<id>" or a bare id >= 1 (no existence check).
NodeId parse_node_id(const YAML::Node& n);

}  // namespace cairn::settings
