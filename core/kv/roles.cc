#include "core/kv/roles.h"

#include "core/base/assert.h"
#include "core/kv/kv_client.h"
#include "core/wire/message_types.h"

namespace cairn::kv {

void MetaOptions::visit(SettingsVisitor& v) {
  raft.visit(v);
  v.count("max_sessions", max_sessions, 1, 1'000'000);
  v.count("keep_versions", keep_versions, 1, 10'000);
  v.group("gc", [this](SettingsVisitor& g) { gc.visit(g); });
  v.group("score", [this](SettingsVisitor& g) { score.visit(g); });
}

absl::Status MetaOptions::validate() const {
  if (absl::Status st = raft.validate(); !st.ok()) return st;
  if (absl::Status st = score.validate(); !st.ok()) return st;
  return gc.validate();
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
    const auto* lent = ctx.hooks.get<KvServers>();
    std::vector<NodeId> servers = lent != nullptr ? lent->nodes : ctx.members("meta");
    if (servers.empty()) return absl::FailedPreconditionError("kv_client needs servers");
    return node.add(
        std::make_unique<KvClient>(ctx.runtime, std::move(servers), o->workload, o->admin, sink));
  };
  return r;
}

}  // namespace cairn::kv
