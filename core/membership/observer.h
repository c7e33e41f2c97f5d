// A hook into what a Membership service (core/membership) concludes, for checkers in
// tests and in cairn-sim.
//
// The service calls the observer on its node's own thread each time its view of a member
// changes state, at exactly the moments it reports a "member_state" event, and with the
// same facts. Checkers take their ground truth from here rather than from the event log.
// cairnd passes no observer, which costs nothing.
#pragma once

#include <cstdint>

#include "core/membership/member_table.h"

namespace cairn::membership {

class MembershipObserver {
 public:
  virtual ~MembershipObserver() = default;
  // `observer`'s view of `target` changed from `was` to `state`, whose record now carries
  // `incarnation`. REQUIRES (of the caller): state != was.
  virtual void on_state(NodeId observer, NodeId target, State state, State was,
                        uint64_t incarnation) = 0;
};

}  // namespace cairn::membership
