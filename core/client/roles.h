// The client roles, for the role table (core/roles/builtin.cc):
//   - `file_client` (settings section `files`): cairn-sim's simulated file clients, which
//     put, get, stat, list, remove and move files through the meta group and the storage
//     nodes and read every file back at the end (file_workload.h). Needs nodes with the
//     roles meta and storage, and a client::FileHistorySink hook.
#pragma once

#include "core/runtime/role.h"

namespace cairn::client {

RoleInfo file_client_role();

}  // namespace cairn::client
