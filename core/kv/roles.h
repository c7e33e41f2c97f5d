// The roles of the replicated key-value store (core/runtime/role.h):
//   meta       (core/meta/roles.h) Raft replicating the key-value store and the namespace;
//              options from settings section `raft` (MetaOptions, here because the
//              key-value store came first and its settings keep their names);
//   kv_client  a simulated client driving a workload against the meta nodes (a client
//              endpoint made by the runner, not a node role); section `workload`.
// Hooks they read: raft::RaftObserver (checkers of Raft safety), kv::KvHistorySink
// (required by kv_client: where its history goes), kv::KvServers (where its requests go;
// absent: the meta nodes).
#pragma once

#include "core/base/settings.h"
#include "core/gc/gc_service.h"
#include "core/raft/group_options.h"
#include "core/repair/score_settings.h"
#include "core/runtime/role.h"

namespace cairn::kv {

struct MetaOptions final : RoleOptionsBase<MetaOptions> {
  raft::GroupOptions raft;
  uint64_t max_sessions = 1024;  // client sessions kept (least recently used expire first)
  uint64_t keep_versions = 10;   // namespace: versions kept per file (the newest)
  gc::GcOptions gc;              // garbage collection of shards, run by the leader
  repair::ScoreSettings score;   // node scoring: placement weights from measurements, on the leader

  void visit(SettingsVisitor& v) override;
  absl::Status validate() const override;
};

RoleInfo client_role();

}  // namespace cairn::kv
