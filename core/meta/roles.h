// The `meta` role (core/runtime/role.h): one Raft group replicating, through a
// MuxStateMachine (core/raft/mux_state_machine.h), the key-value store (default machine,
// KvService front, core/kv) and the namespace (kNamespaceChannel, NamespaceService front,
// core/meta). Options: settings section `raft` (kv::MetaOptions: Raft timing and voters,
// max_sessions for both machines, keep_versions for the namespace). Hooks it reads:
// raft::RaftObserver (checkers of Raft safety).
#pragma once

#include "core/kv/roles.h"
#include "core/meta/namespace_service.h"
#include "core/runtime/role.h"

namespace cairn::meta {

RoleInfo meta_role();

// Adds the RaftService (with both machines) and both fronts to `node`; `roster` is what the
// namespace front checks a client's RegisterNode against (namespace_service.h). InvalidArgument
// if a message type is taken.
absl::Status install(Node& node, raft::RaftServiceConfig config, const kv::MetaOptions& options,
                     NodeRoster roster = {});

}  // namespace cairn::meta
