// The roles of the primary-backup lab (core/runtime/role.h), registered beside the
// built-in ones by cairn-sim (labs/labs.h):
//   pb       a server of the replicated register: the student's PbServer (pb_server.cc),
//            or the reference solution; settings section `pb`. It serves the key-value
//            client protocol, so the simulator's `workload:` clients talk to it;
//   pb_view  the view service (given); settings section `pb_view`. Exactly one node.
#pragma once

#include "core/runtime/role.h"

namespace cairn::labs::pb {

RoleInfo server_role();
RoleInfo view_role();

}  // namespace cairn::labs::pb
