// The roles of the replicated key-value store (core/runtime/role.h):
//   meta       Raft (core/raft) replicating a KvStateMachine, with the KvService front;
//              options from settings section `raft` (MetaOptions);
//   kv_client  a simulated client driving a workload against the meta nodes (a client
//              endpoint made by the runner, not a node role); section `workload`.
// Hooks they read: raft::RaftObserver (checkers of Raft safety), kv::KvHistorySink
// (required by kv_client: where its history goes).
#pragma once

#include "core/base/settings.h"
#include "core/raft/group_options.h"
#include "core/runtime/role.h"

namespace cairn::kv {

struct MetaOptions final : RoleOptionsBase<MetaOptions> {
  raft::GroupOptions raft;
  uint64_t max_sessions = 1024;  // client sessions kept (least recently used expire first)

  void visit(SettingsVisitor& v) override;
  absl::Status validate() const override;
};

RoleInfo meta_role();
RoleInfo client_role();

}  // namespace cairn::kv
