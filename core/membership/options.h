// Tunables of failure detection, with defaults that suit a LAN and 1 s heartbeats.
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "core/base/settings.h"
#include "core/membership/phi_accrual.h"
#include "core/runtime/time.h"

namespace cairn::membership {

// Settings section `membership` (docs/settings.md), the same in scenarios and cairnd configs.
struct MembershipOptions final : RoleOptionsBase<MembershipOptions> {
  Duration heartbeat_interval = std::chrono::seconds(1);
  // How many successors on the ring of node ids each node sends heartbeats to (and so how
  // many predecessors watch each node). Messages per period: n * monitors.
  size_t monitors = 3;
  // How long a suspicion may stand unrefuted before the suspect is declared dead.
  Duration suspect_timeout = std::chrono::seconds(2);
  // Extra gossip messages per period while there is news to spread.
  size_t gossip_fanout = 2;
  // Each update is sent retransmit_mult * ceil(log2(n + 1)) times (SWIM's lambda log n).
  size_t retransmit_mult = 3;
  size_t max_updates_per_message = 16;
  // Push-pull of non-default records with one random peer (0 = off).
  Duration anti_entropy_interval = std::chrono::seconds(30);
  // How much longer than usual a node that has just started (or restarted) waits for the
  // first heartbeat of each peer it watches before it may suspect it. Until a peer's first
  // heartbeat arrives its silence says nothing: its link to us may still be backing off
  // from the time we were down. Set it to the transport's longest reconnect back-off
  // (cairnd does; cairn-sim's ideal network needs none). Once a heartbeat has arrived the
  // detector runs as usual.
  Duration first_contact_grace = Duration(0);
  DetectorOptions detector;

  void visit(SettingsVisitor& v) override;
  // InvalidArgument naming the bad option.
  absl::Status validate() const override;
};

}  // namespace cairn::membership
