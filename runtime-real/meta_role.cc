#include "runtime-real/meta_role.h"

#include <algorithm>

namespace cairn::real {

raft::RaftServiceConfig meta_service_config(const NodeConfig& config) {
  const MetaConfig& m = config.meta;
  raft::RaftServiceConfig s;
  s.voters = m.voters;
  if (s.voters.empty()) {
    s.voters.push_back(config.node);
    for (const PeerConfig& p : config.peers) s.voters.push_back(p.node);
  }
  std::sort(s.voters.begin(), s.voters.end());
  s.tick = m.tick;
  s.raft.election_ticks = m.election_ticks;
  s.raft.heartbeat_ticks = m.heartbeat_ticks;
  s.raft.pre_vote = m.pre_vote;
  s.raft.check_quorum = m.check_quorum;
  s.raft.lease_reads = m.lease_reads;
  s.dir = "raft";
  s.snapshot_every = m.snapshot_every;
  s.max_pending_requests = m.max_pending_requests;
  s.max_sessions = m.max_sessions;
  return s;
}

void export_raft_gauges(const raft::RaftService& service, Metrics& metrics) {
  const raft::Raft* r = service.raft();
  const bool up = r != nullptr && service.running();
  auto set = [&metrics](const char* name, double v) { metrics.gauge(name).set(v); };
  set("raft_running", up ? 1 : 0);
  set("raft_term", up ? static_cast<double>(r->term()) : 0);
  set("raft_leader", up ? static_cast<double>(r->leader()) : 0);
  set("raft_is_leader", service.is_leader() ? 1 : 0);
  set("raft_commit_index", up ? static_cast<double>(r->log().commit()) : 0);
  set("raft_applied_index", up ? static_cast<double>(r->log().applied()) : 0);
  set("raft_last_index", up ? static_cast<double>(r->log().last_index()) : 0);
  set("raft_voters", up ? static_cast<double>(r->voters().size()) : 0);
  set("raft_pending_requests", static_cast<double>(service.pending_requests()));
}

}  // namespace cairn::real
