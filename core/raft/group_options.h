// Settings of a Raft group (section `raft`, docs/settings.md): the same keys, units and
// defaults in scenario files and cairnd configs. to_config() turns them into the
// RaftServiceConfig a node runs with (timeouts become ticks).
#pragma once

#include <cstdint>
#include <vector>

#include "core/base/settings.h"
#include "core/raft/raft_service.h"

namespace cairn::raft {

struct GroupOptions {
  // Initial voters of a brand-new group; empty: every node of the role.
  std::vector<cairn::NodeId> voters;
  Duration tick = std::chrono::milliseconds(10);
  // The election timeout is drawn uniformly from [min, max] (whole ticks).
  Duration election_timeout_min = std::chrono::milliseconds(150);
  Duration election_timeout_max = std::chrono::milliseconds(300);
  Duration heartbeat = std::chrono::milliseconds(50);
  bool pre_vote = true;
  bool check_quorum = true;
  bool lease_reads = false;
  uint64_t snapshot_every = 10000;  // applied entries between local snapshots; 0: never
  uint64_t max_pending_requests = 4096;
  uint64_t promote_max_lag = 64;

  void visit(SettingsVisitor& v);
  // InvalidArgument naming the bad key.
  absl::Status validate() const;
  // The service configuration; `members` are the role's nodes (voters when none are set).
  RaftServiceConfig to_config(std::vector<cairn::NodeId> members) const;
};

}  // namespace cairn::raft
