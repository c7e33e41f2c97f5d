#include "core/membership/role.h"

#include "core/base/assert.h"
#include "core/membership/membership.h"

namespace cairn::membership {

RoleInfo role() {
  RoleInfo r;
  r.name = "membership";
  r.summary = "heartbeats to a few monitors, phi-accrual suspicion, SWIM-style gossip";
  r.settings = "membership";
  r.peer_types = Membership::types();
  r.make_options = [] { return std::make_unique<MembershipOptions>(); };
  r.install = [](Node& node, const RoleContext& ctx, const RoleOptions* options) {
    const auto* o = dynamic_cast<const MembershipOptions*>(options);
    CAIRN_ASSERT(o != nullptr);
    return node.add(std::make_unique<Membership>(ctx.runtime, *o, ctx.cluster,
                                                 ctx.hooks.get<MembershipObserver>()));
  };
  return r;
}

}  // namespace cairn::membership
