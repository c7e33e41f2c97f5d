// The failure detector's side of a simulated run (runtime-sim): lends the `membership` role
// its observer and turns what each node concludes into the Observations the detection
// checkers (core/check/detection.h) judge against the ground truth. Holds no protocol logic.
#pragma once

#include <vector>

#include "core/check/detection.h"
#include "core/membership/observer.h"
#include "core/runtime/role.h"

namespace cairn::sim {

class MembershipRun final : public membership::MembershipObserver {
 public:
  // Lends the membership role this observer.
  void add_hooks(Hooks& hooks);

  // `node` restarts at `at` with a fresh view: it believes every other one of `nodes`
  // alive until told otherwise. REQUIRES: calls come in time order.
  void restarted(NodeId node, Time at, const std::vector<NodeId>& nodes);

  // MembershipObserver: stamped with the simulated time of the change.
  void on_state(NodeId observer, NodeId target, membership::State state, membership::State was,
                uint64_t incarnation) override;

  // Every view change of the run, in the order it happened.
  const std::vector<check::Observation>& observations() const { return observations_; }

 private:
  void add(check::Observation o);

  std::vector<check::Observation> observations_;
};

}  // namespace cairn::sim
