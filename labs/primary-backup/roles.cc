#include "labs/primary-backup/roles.h"

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/wire/message_types.h"
#include "labs/primary-backup/pb_base.h"
#include "labs/primary-backup/view_service.h"

namespace cairn::labs::pb {

RoleInfo server_role() {
  RoleInfo r;
  r.name = "pb";
  r.summary = "primary-backup lab: a server of the replicated register";
  r.settings = "pb";
  r.peer_types = {kPbView, kPbPeer};
  r.client_types = {cairn::wire::kKvRequest};
  r.make_options = [] { return std::make_unique<PbOptions>(); };
  r.install = [](Node& node, const RoleContext& ctx, const RoleOptions* options) {
    const auto* o = dynamic_cast<const PbOptions*>(options);
    CAIRN_ASSERT(o != nullptr);
    const std::vector<NodeId> vs = ctx.members("pb_view");
    if (vs.size() != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("pb needs exactly one node with role pb_view, found ", vs.size()));
    }
    return node.add(make_pb_server(ctx.runtime, vs.front(), *o));
  };
  return r;
}

RoleInfo view_role() {
  RoleInfo r;
  r.name = "pb_view";
  r.summary = "primary-backup lab: the view service (who is primary, who is backup)";
  r.settings = "pb_view";
  r.peer_types = {kPbPing};
  r.make_options = [] { return std::make_unique<ViewServiceOptions>(); };
  r.install = [](Node& node, const RoleContext& ctx, const RoleOptions* options) {
    const auto* o = dynamic_cast<const ViewServiceOptions*>(options);
    CAIRN_ASSERT(o != nullptr);
    return node.add(std::make_unique<ViewService>(ctx.runtime, *o));
  };
  return r;
}

}  // namespace cairn::labs::pb
