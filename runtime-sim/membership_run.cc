#include "runtime-sim/membership_run.h"

#include "core/base/assert.h"
#include "runtime-sim/sim_world.h"

namespace cairn::sim {

void MembershipRun::add_hooks(Hooks& hooks) { hooks.set<membership::MembershipObserver>(this); }

void MembershipRun::restarted(NodeId node, Time at, const std::vector<NodeId>& nodes) {
  CAIRN_ASSERT(node != kNoNode);
  for (NodeId t : nodes) {
    if (t != node) add({at, node, t, membership::State::kAlive});
  }
}

void MembershipRun::on_state(NodeId observer, NodeId target, membership::State state,
                             membership::State was, uint64_t /*incarnation*/) {
  CAIRN_ASSERT(observer != kNoNode);
  CAIRN_ASSERT(state != was);
  add({World::now(), observer, target, state});
}

void MembershipRun::add(check::Observation o) {
  // The checkers replay observations in order: time never goes back.
  CAIRN_ASSERT(observations_.empty() || observations_.back().at <= o.at);
  observations_.push_back(o);
}

}  // namespace cairn::sim
