// Teaching labs (labs/*/README.md): roles a student implements, registered beside the
// built-in ones so that cairn-sim runs their scenarios like any other.
#pragma once

#include "core/runtime/role.h"

namespace cairn::labs {

// The built-in roles plus every lab's.
RoleRegistry roles_with_labs();

}  // namespace cairn::labs
