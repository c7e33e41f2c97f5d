#include "core/meta/roles.h"

#include "core/base/assert.h"
#include "core/kv/kv_service.h"
#include "core/kv/kv_state_machine.h"
#include "core/meta/namespace_service.h"
#include "core/meta/namespace_state_machine.h"
#include "core/raft/mux_state_machine.h"
#include "core/wire/message_types.h"

namespace cairn::meta {

absl::Status install(Node& node, raft::RaftServiceConfig config, const kv::MetaOptions& o) {
  auto machines =
      std::make_unique<raft::MuxStateMachine>(std::make_unique<kv::KvStateMachine>(o.max_sessions));
  machines->add(kNamespaceChannel, std::make_unique<NamespaceStateMachine>(NamespaceOptions{
                                       .keep_versions = static_cast<uint32_t>(o.keep_versions),
                                       .max_sessions = o.max_sessions}));
  auto raft =
      std::make_unique<raft::RaftService>(node.runtime(), std::move(config), std::move(machines));
  raft::RaftService& ref = *raft;
  if (absl::Status st = node.add(std::move(raft)); !st.ok()) return st;
  if (absl::Status st = node.add(std::make_unique<kv::KvService>(node.runtime(), ref)); !st.ok()) {
    return st;
  }
  return node.add(std::make_unique<NamespaceService>(node.runtime(), ref));
}

RoleInfo meta_role() {
  RoleInfo r;
  r.name = "meta";
  r.summary = "a Raft group replicating the namespace and the key-value store";
  r.settings = "raft";
  r.peer_types = {cairn::wire::kRaftMessage};
  r.client_types = kv::KvService::types();
  for (MessageType t : NamespaceService::types()) r.client_types.push_back(t);
  r.client_types.push_back(cairn::wire::kAdminRequest);  // status and membership changes
  r.make_options = [] { return std::make_unique<kv::MetaOptions>(); };
  r.install = [](Node& node, const RoleContext& ctx, const RoleOptions* options) {
    const auto* o = dynamic_cast<const kv::MetaOptions*>(options);
    CAIRN_ASSERT(o != nullptr);
    raft::RaftServiceConfig config = o->raft.to_config(ctx.members("meta"));
    config.observer = ctx.hooks.get<raft::RaftObserver>();
    return install(node, std::move(config), *o);
  };
  return r;
}

}  // namespace cairn::meta
