#include "runtime-real/host/meta_role.h"

namespace cairn::real {

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
