// Vocabulary of the Raft state machine (core/raft): node ids, roles, configuration, the
// Ready batch a driver drains, and the persisted state a driver hands back on restart.
//
// The Raft core never reads a clock or a global random source: time is counted in ticks
// and the election-timeout jitter comes from a generator seeded through Config.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/raft/raft.pb.h"
#include "core/runtime/message.h"

namespace cairn::raft {

// One node id type across the code base (core/runtime/message.h). raft.proto carries ids
// as uint64; node_id_from_wire() is the checked narrowing at that edge.
using cairn::kNoNode;
using cairn::NodeId;

// The id a wire field names, or nullopt if no node can have it (too large for NodeId).
inline std::optional<NodeId> node_id_from_wire(uint64_t id) {
  if (id > std::numeric_limits<NodeId>::max()) return std::nullopt;
  return static_cast<NodeId>(id);
}

enum class Role { kFollower, kPreCandidate, kCandidate, kLeader };
const char* role_name(Role role);

struct Config {
  NodeId id = kNoNode;
  // Voters of a brand-new cluster. Ignored when the persisted snapshot carries a
  // configuration. Every node, including one that joins later, gets the same list.
  std::vector<NodeId> peers;
  int election_ticks = 10;  // the timeout is drawn uniformly from [election, 2*election)
  // >= 0: draw the timeout from [election_ticks, election_ticks + election_jitter_ticks]
  // instead (0: a fixed timeout; used to reproduce the Raft paper's Figure 16).
  int election_jitter_ticks = -1;
  int heartbeat_ticks = 1;
  bool pre_vote = true;
  bool check_quorum = true;
  // Serve ReadIndex from the leader's lease without a heartbeat round. Safe only if ticks
  // advance at the same rate on every node; needs check_quorum.
  bool lease_reads = false;
  uint64_t random_seed = 1;
  uint64_t max_entries_per_append = 64;
  uint64_t max_bytes_per_append = 1 << 20;
  // A larger proposal is refused (InvalidArgument): an entry must fit one append message,
  // which a real transport carries in one frame header (core/wire/frame.h, 4 MiB).
  uint64_t max_entry_bytes = 3 << 20;
  uint64_t max_inflight_appends = 16;       // per follower
  uint64_t max_inflight_bytes = 8 << 20;    // per follower
  uint64_t max_uncommitted_entries = 4096;  // proposals beyond this are refused
  uint64_t max_committed_entries_per_ready = 1024;
  uint64_t max_pending_reads = 1024;
  uint64_t max_outbox_messages = 8192;  // messages beyond are dropped (may be lost)
};

// A linearizable read may be served once the state machine has applied `index`.
struct ReadState {
  uint64_t request_id = 0;
  uint64_t index = 0;
};

// What a driver loads from disk to restart a node (see Storage).
struct PersistentState {
  wire::HardState hard_state;
  wire::Snapshot snapshot;           // metadata.index == 0: none
  std::vector<wire::Entry> entries;  // contiguous, starting at snapshot index + 1
};

// One batch of output. The driver must, in this order:
//   1. persist `snapshot` (if set), then `entries` (truncating the stored log from
//      entries.front().index first), then `hard_state` (if set), and sync;
//   2. only then send `messages` (they may promise what step 1 wrote);
//   3. if `restore_state_machine`, load `snapshot` into the state machine; apply
//      `committed_entries` in order; serve `read_states` once applied;
//   4. call Raft::advance(ready).
struct Ready {
  std::optional<wire::HardState> hard_state;
  std::optional<wire::Snapshot> snapshot;
  bool restore_state_machine = false;  // the snapshot came from the leader
  std::vector<wire::Entry> entries;
  std::vector<wire::Message> messages;
  std::vector<wire::Entry> committed_entries;
  std::vector<ReadState> read_states;

  bool empty() const {
    return !hard_state && !snapshot && entries.empty() && messages.empty() &&
           committed_entries.empty() && read_states.empty();
  }
};

// SplitMix64: a tiny deterministic generator for the election-timeout jitter.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t below(uint64_t n) { return next() % n; }

 private:
  uint64_t state_;
};

}  // namespace cairn::raft
