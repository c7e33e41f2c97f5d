#include "core/kv/roles.h"

#include "core/base/assert.h"
#include "core/kv/kv_client.h"
#include "core/kv/kv_service.h"
#include "core/wire/message_types.h"

namespace cairn::kv {

void MetaOptions::visit(SettingsVisitor& v) {
  raft.visit(v);
  v.count("max_sessions", max_sessions, 1, 1'000'000);
}

absl::Status MetaOptions::validate() const { return raft.validate(); }

RoleInfo meta_role() {
  RoleInfo r;
  r.name = "meta";
  r.summary = "a Raft group replicating the key-value store";
  r.settings = "raft";
  r.peer_types = {cairn::wire::kRaftMessage};
  r.client_types = KvService::types();
  r.client_types.push_back(cairn::wire::kAdminRequest);  // status and membership changes
  r.make_options = [] { return std::make_unique<MetaOptions>(); };
  r.install = [](Node& node, const RoleContext& ctx, const RoleOptions* options) {
    const auto* o = dynamic_cast<const MetaOptions*>(options);
    CAIRN_ASSERT(o != nullptr);
    raft::RaftServiceConfig config = o->raft.to_config(ctx.members("meta"));
    config.observer = ctx.hooks.get<raft::RaftObserver>();
    return install(node, std::move(config), o->max_sessions);
  };
  return r;
}

RoleInfo client_role() {
  RoleInfo r;
  r.name = "kv_client";
  r.summary = "simulated clients of the key-value store (cairn-sim)";
  r.settings = "workload";
  r.client_endpoint = true;
  r.peer_types = KvClient::types();
  r.make_options = [] { return std::make_unique<KvClientOptions>(); };
  r.install = [](Node& node, const RoleContext& ctx, const RoleOptions* options) {
    const auto* o = dynamic_cast<const KvClientOptions*>(options);
    CAIRN_ASSERT(o != nullptr);
    auto* sink = ctx.hooks.get<KvHistorySink>();
    if (sink == nullptr) return absl::FailedPreconditionError("kv_client needs a history sink");
    std::vector<NodeId> servers = ctx.members("meta");
    if (servers.empty()) return absl::FailedPreconditionError("kv_client needs meta nodes");
    return node.add(
        std::make_unique<KvClient>(ctx.runtime, std::move(servers), o->workload, o->admin, sink));
  };
  return r;
}

}  // namespace cairn::kv
