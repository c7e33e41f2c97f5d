// What cairnd shows of the `meta` role (core/kv/roles.h): Raft's state as gauges on
// /metrics. The role itself is installed from the role table like any other.
#pragma once

#include "core/raft/raft_service.h"
#include "core/runtime/metrics.h"

namespace cairn::real {

// Sets the gauges raft_term, raft_leader, raft_is_leader, raft_commit_index,
// raft_applied_index, raft_last_index, raft_voters and raft_running from `service`
// (all 0 until it has recovered). Loop thread only.
void export_raft_gauges(const raft::RaftService& service, Metrics& metrics);

}  // namespace cairn::real
