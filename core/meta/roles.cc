#include "core/meta/roles.h"

#include "core/base/assert.h"
#include "core/gc/gc_service.h"
#include "core/kv/kv_service.h"
#include "core/kv/kv_state_machine.h"
#include "core/membership/membership.h"
#include "core/meta/namespace_service.h"
#include "core/meta/namespace_state_machine.h"
#include "core/raft/mux_state_machine.h"
#include "core/repair/repair_service.h"
#include "core/repair/score_service.h"
#include "core/storage/rebuild_service.h"
#include "core/storage/roles.h"
#include "core/wire/message_types.h"

namespace cairn::meta {

absl::Status install(Node& node, raft::RaftServiceConfig config, const kv::MetaOptions& o,
                     NodeRoster roster) {
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
  return node.add(std::make_unique<NamespaceService>(node.runtime(), ref, std::move(roster)));
}

// Repair runs beside the namespace on every meta node and acts on the leader: it needs
// storage nodes to place on, and learns deaths from this node's failure detector. Node
// scoring (when its interval is set) runs beside it and measures repair's transfers.
absl::Status install_repair(Node& node, const RoleContext& ctx,
                            const repair::ScoreSettings& score) {
  if (ctx.members("storage").empty()) return absl::OkStatus();
  auto placement = storage::storage_placement(ctx);
  if (!placement.ok()) return placement.status();
  auto* raft = node.find<raft::RaftService>();
  CAIRN_ASSERT(raft != nullptr);
  const auto& mux = dynamic_cast<const raft::MuxStateMachine&>(raft->state_machine());
  const auto& ns = dynamic_cast<const NamespaceStateMachine&>(mux.machine(kNamespaceChannel));
  auto* detector = node.find<membership::Membership>();
  auto client = std::make_unique<storage::RebuildClient>(ctx.runtime);
  auto repair = std::make_unique<repair::RepairService>(ctx.runtime, *raft, ns, *client, detector,
                                                        *placement);
  if (score.interval > Duration(0)) {
    auto scoring =
        std::make_unique<repair::ScoreService>(ctx.runtime, *raft, ns, detector, *placement, score);
    repair->set_transfer_observer([s = scoring.get()](NodeId id, bool start, uint64_t bytes) {
      s->transfer(id, start, bytes);
    });
    if (auto st = node.add(std::move(scoring)); !st.ok()) return st;
  }
  if (auto st = node.add(std::move(client)); !st.ok()) return st;
  return node.add(std::move(repair));
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
  // Repair's rebuild and audit answers.
  for (MessageType t : storage::RebuildClient::types()) r.peer_types.push_back(t);
  r.peer_types.push_back(cairn::wire::kNodeStatDone);  // node scoring's probe answers
  r.install = [](Node& node, const RoleContext& ctx, const RoleOptions* options) {
    const auto* o = dynamic_cast<const kv::MetaOptions*>(options);
    CAIRN_ASSERT(o != nullptr);
    raft::RaftServiceConfig config = o->raft.to_config(ctx.members("meta"));
    config.observer = ctx.hooks.get<raft::RaftObserver>();
    NodeRoster roster{.storage = ctx.members("storage"), .meta = ctx.members("meta")};
    if (auto st = install(node, std::move(config), *o, std::move(roster)); !st.ok()) return st;
    if (auto st = install_repair(node, ctx, o->score); !st.ok()) return st;
    return gc::install(node, ctx, o->gc);
  };
  return r;
}

}  // namespace cairn::meta
