// The `membership` role (core/runtime/role.h): failure detection and gossip among every
// node of the cluster, with options from settings section `membership`.
#pragma once

#include "core/runtime/role.h"

namespace cairn::membership {

RoleInfo role();

}  // namespace cairn::membership
