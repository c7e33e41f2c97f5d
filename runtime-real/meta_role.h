// The `meta` role of cairnd: a RaftService (core/raft/raft_service.h) replicating the
// key-value store among the meta voters, configured from a node's MetaConfig.
//
// This file only translates configuration and exports Raft's state as gauges; the
// protocol lives in core/raft. Clients reach the service through the node's ClientPort.
#pragma once

#include "core/raft/raft_service.h"
#include "runtime-real/config.h"

namespace cairn::real {

// The service's configuration: voters are meta.voters, or this node and every peer.
raft::RaftServiceConfig meta_service_config(const NodeConfig& config);

// Sets the gauges raft_term, raft_leader, raft_is_leader, raft_commit_index,
// raft_applied_index, raft_last_index, raft_voters and raft_running from `service`
// (all 0 until it has recovered). Loop thread only.
void export_raft_gauges(const raft::RaftService& service, Metrics& metrics);

}  // namespace cairn::real
