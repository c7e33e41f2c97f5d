// Test seam for planted protocol bugs (core/raft, tests only). A property test proves it
// has teeth by planting a known safety bug in every node of a cluster and checking that
// the property then fails. Production code never names a Bug: raft::Config has no test
// switches, and a Raft built by Raft::create() runs the protocol as specified until a
// test calls Faults::plant() on it. The only other caller is cairn-sim, for a scenario
// that asks for a bug by its `unsafe:` key (a lesson on what the checkers catch); cairnd
// never includes this header.
#pragma once

#include <cstdint>

#include "core/raft/raft.h"
#include "core/raft/raft_service.h"

namespace cairn::raft::testing {

// Every value but kNone breaks Raft's guarantees on purpose.
enum class Bug : uint8_t {
  kNone = 0,
  kVoteWithoutLogCheck,   // grant votes without the "candidate's log is up to date" check
  kCommitOldTermByCount,  // commit entries of earlier terms by counting replicas (Fig. 8)
  kAckBeforeMajority,     // a leader commits (and acknowledges) what it alone has persisted
};

class Faults {
 public:
  // Plants `bug` in `raft` (kNone removes it). The bug lives in the node's volatile state,
  // so a harness plants it again after every restart.
  static void plant(Raft& raft, Bug bug) { raft.planted_bug_ = bug; }
  // The same for the Raft a service runs; does nothing while the service has none (before
  // its recovery built it). cairn-sim calls it after every step of a node whose scenario
  // names a bug under `unsafe:`, so a restarted node gets the bug again.
  static void plant(RaftService& service, Bug bug) {
    if (service.raft_ != nullptr && service.raft_->planted_bug_ != bug) plant(*service.raft_, bug);
  }
  static Bug planted(const Raft& raft) { return raft.planted_bug_; }
};

}  // namespace cairn::raft::testing
