#include "core/raft/group_options.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace cairn::raft {
namespace {

int ticks(Duration d, Duration tick) {
  return static_cast<int>(
      std::llround(static_cast<double>(d.count()) / static_cast<double>(tick.count())));
}

}  // namespace

void GroupOptions::visit(SettingsVisitor& v) {
  v.nodes("voters", voters);
  v.duration("tick", tick);
  v.duration_range("election_timeout", election_timeout_min, election_timeout_max);
  v.duration("heartbeat", heartbeat);
  v.flag("pre_vote", pre_vote);
  v.flag("check_quorum", check_quorum);
  v.flag("lease_reads", lease_reads);
  v.count("snapshot_every", snapshot_every, 0, 1'000'000'000);
  v.count("max_pending_requests", max_pending_requests, 1, 1'000'000);
  v.count("promote_max_lag", promote_max_lag, 0, 1'000'000'000);
}

absl::Status GroupOptions::validate() const {
  if (tick < std::chrono::milliseconds(1)) {
    return absl::InvalidArgumentError("raft tick must be at least 1ms");
  }
  if (heartbeat < tick)
    return absl::InvalidArgumentError("raft heartbeat must be at least one tick");
  if (election_timeout_min <= heartbeat) {
    return absl::InvalidArgumentError("election_timeout must be longer than heartbeat");
  }
  if (election_timeout_max < election_timeout_min) {
    return absl::InvalidArgumentError("election_timeout must be [min, max] with min <= max");
  }
  if (lease_reads && !check_quorum) {
    return absl::InvalidArgumentError("lease_reads needs check_quorum: true");
  }
  for (cairn::NodeId n : voters) {
    if (n == kNoNode) return absl::InvalidArgumentError("voters are node ids (>= 1)");
  }
  return absl::OkStatus();
}

RaftServiceConfig GroupOptions::to_config(std::vector<cairn::NodeId> members) const {
  RaftServiceConfig c;
  c.voters = voters.empty() ? std::move(members) : voters;
  std::sort(c.voters.begin(), c.voters.end());
  c.tick = tick;
  c.raft.election_ticks = std::max(2, ticks(election_timeout_min, tick));
  c.raft.election_jitter_ticks =
      std::max(0, ticks(election_timeout_max - election_timeout_min, tick));
  c.raft.heartbeat_ticks = std::clamp(ticks(heartbeat, tick), 1, c.raft.election_ticks - 1);
  c.raft.pre_vote = pre_vote;
  c.raft.check_quorum = check_quorum;
  c.raft.lease_reads = lease_reads;
  c.snapshot_every = snapshot_every;
  c.max_pending_requests = max_pending_requests;
  c.promote_max_lag = promote_max_lag;
  return c;
}

}  // namespace cairn::raft
