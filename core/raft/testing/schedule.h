// A fault schedule for the in-memory Raft cluster harness (test tool). Property tests
// draw one at random; when a case fails, RapidCheck shrinks it and prints it with
// to_string(), so a student can read the minimal failing run as a short list of steps.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "core/raft/testing/faults.h"

namespace cairn::raft::testing {

enum class FaultKind {
  kCrash,           // node loses its volatile state and any Ready not yet persisted
  kRestart,         // node comes back from what its disk holds
  kIsolate,         // node is cut off from every other node
  kPartition,       // nodes in `mask` on one side, the rest on the other
  kHeal,            // no partition
  kLoss,            // drop `amount` percent of messages
  kDuplicate,       // duplicate `amount` percent of messages
  kDelay,           // extra random delay of up to `amount` steps (reorders messages)
  kCalm,            // no loss, duplication or extra delay
  kTransferLeader,  // ask the leader to hand leadership to `node`
  kAddLearner,      // start spare `node` and add it as a learner
  kPromote,         // promote learner `node` to voter once it has caught up
  kRemove,          // remove `node` from the configuration
};

struct FaultEvent {
  uint32_t at_step = 0;
  FaultKind kind = FaultKind::kHeal;
  uint32_t node = 1;    // node id (1-based)
  uint32_t mask = 0;    // kPartition: bit i-1 set = node i on side A
  uint32_t amount = 0;  // kLoss, kDuplicate: percent; kDelay: steps
};

struct Schedule {
  uint32_t nodes = 3;          // initial voters, ids 1..nodes
  uint32_t spares = 0;         // extra ids nodes+1..nodes+spares, started by kAddLearner
  uint64_t seed = 1;           // drives message timing, client choices, election jitter
  uint32_t fault_steps = 600;  // faults happen in [0, fault_steps); then calm and heal
  uint32_t batch = 64;         // max entries per append message
  std::vector<FaultEvent> events;
  Bug bug = Bug::kNone;  // TEST ONLY: planted bug in every node
};

std::string to_string(const FaultEvent& e);
std::string to_string(const Schedule& s);
std::ostream& operator<<(std::ostream& os, const Schedule& s);
// RapidCheck prints counterexamples through showValue (found by argument lookup).
void showValue(const Schedule& s, std::ostream& os);

}  // namespace cairn::raft::testing
