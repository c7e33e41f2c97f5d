// The roles Cairn ships, in one table read by cairn-sim and cairnd alike. Adding a role is
// its own folder (a RoleInfo, core/runtime/role.h) plus one line in builtin.cc.
#pragma once

#include "core/runtime/role.h"

namespace cairn {

// A fresh registry holding every built-in role; tests may add more to their copy.
RoleRegistry builtin_roles();

}  // namespace cairn
