// Linearizable reads without log writes: ReadIndex (dissertation §6.4) and, optionally,
// lease-based reads (§6.4.1). A read is registered at the current commit index and
// released once a quorum has answered a heartbeat sent after it was registered.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/raft/raft.h"

namespace cairn::raft {

absl::Status Raft::read_index(uint64_t request_id) {
  if (role_ != Role::kLeader) {
    return absl::UnavailableError(absl::StrCat("raft: not the leader; try node ", leader_));
  }
  // Until an entry of its own term commits, the leader does not know the commit index.
  if (*log_.term(log_.commit()) != term_) {
    return absl::UnavailableError("raft: leader has not committed in its term yet");
  }
  if (voters_.size() == 1 || config_.lease_reads) {
    // Lease reads trust CheckQuorum: no other leader can exist within the lease.
    read_states_.push_back(ReadState{request_id, log_.commit()});
    return absl::OkStatus();
  }
  if (pending_reads_.size() >= config_.max_pending_reads) {
    return absl::UnavailableError("raft: too many pending reads");
  }
  pending_reads_.push_back(PendingRead{++read_round_, request_id, log_.commit()});
  broadcast_heartbeat();
  return absl::OkStatus();
}

void Raft::release_reads() {
  if (pending_reads_.empty()) return;
  std::vector<uint64_t> acks;
  for (NodeId id : voters_) {
    if (id == config_.id) {
      acks.push_back(read_round_);
      continue;
    }
    auto it = progress_.find(id);
    acks.push_back(it == progress_.end() ? 0 : it->second.read_ack);
  }
  std::sort(acks.begin(), acks.end(), std::greater<>());
  const uint64_t confirmed = acks[quorum() - 1];
  while (!pending_reads_.empty() && pending_reads_.front().round <= confirmed) {
    const PendingRead& r = pending_reads_.front();
    read_states_.push_back(ReadState{r.request_id, r.index});
    pending_reads_.pop_front();
  }
}

}  // namespace cairn::raft
