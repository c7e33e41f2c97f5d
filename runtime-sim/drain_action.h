// Draining a storage node in cairn-sim: the `drain: nX` action and the `drained` check.
//
// The action does what an operator's request would: the meta leader proposes, through
// Raft, a RegisterNode command marking the node NODE_DRAINING in the namespace's node
// registry; repair on the leader then moves every shard off it (core/repair/planner.h,
// "Moves"). The World asks again each second until the leader's registry holds it (a
// proposal may be lost with a leader). The check samples the ground truth at every
// metrics interval and judges the last sample: the meta leader's chunk table must place no
// shard on a drained node. Holds no protocol logic; reads nodes through their types.
#pragma once

#include <vector>

#include "runtime-sim/sim_node.h"
#include "runtime-sim/world.h"

namespace cairn::sim {

// Whether `leader`'s registry already marks `node` draining.
bool registered_draining(SimNode& leader, NodeId node);
// Proposes, on `leader`'s own loop, the RegisterNode command that marks `node` draining.
void propose_drain(SimNode& leader, NodeId node);
// The `drained` check: no shard placed on any of `drained` in the meta leader's table.
class DrainProbe {
 public:
  explicit DrainProbe(std::vector<NodeId> drained) : drained_(std::move(drained)) {}
  // Reads the meta leader's table and registry; skips the sample when no leader is found.
  void sample(const std::vector<SimNode*>& nodes);
  CheckResult judge() const;

 private:
  std::vector<NodeId> drained_;
  bool sampled_ = false;
  uint64_t chunks_ = 0, placed_ = 0, registered_ = 0;
  std::string example_;  // one shard still placed on a drained node
};

}  // namespace cairn::sim
