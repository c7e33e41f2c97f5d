// RapidCheck generators of fault schedules for the Raft property tests (test tool). The
// property, the soak runs and the replay of recorded reproduce strings share them: a
// reproduce string encodes the generator's random choices, so changing what these
// generators draw (or in which order) invalidates every recorded string.
#pragma once

#include <rapidcheck.h>

#include <vector>

#include "core/raft/testing/schedule.h"

namespace cairn::raft::testing {

inline rc::Gen<FaultEvent> gen_event(uint32_t nodes, uint32_t spares, uint32_t fault_steps) {
  return rc::gen::exec([=] {
    FaultEvent e;
    e.at_step = *rc::gen::inRange<uint32_t>(0, fault_steps);
    e.kind = *rc::gen::weightedElement<FaultKind>({
        {5, FaultKind::kCrash},
        {5, FaultKind::kRestart},
        {3, FaultKind::kIsolate},
        {3, FaultKind::kPartition},
        {3, FaultKind::kHeal},
        {2, FaultKind::kLoss},
        {2, FaultKind::kDuplicate},
        {2, FaultKind::kDelay},
        {1, FaultKind::kCalm},
        {2, FaultKind::kTransferLeader},
        {spares > 0 ? 2u : 0u, FaultKind::kAddLearner},
        {spares > 0 ? 2u : 0u, FaultKind::kPromote},
        {1, FaultKind::kRemove},
    });
    e.node = *rc::gen::inRange<uint32_t>(1, nodes + spares + 1);
    if (e.kind == FaultKind::kPartition) {
      e.mask = *rc::gen::inRange<uint32_t>(1, (1U << (nodes + spares)) - 1);
    }
    if (e.kind == FaultKind::kLoss || e.kind == FaultKind::kDuplicate) {
      e.amount = *rc::gen::inRange<uint32_t>(1, 40);
    } else if (e.kind == FaultKind::kDelay) {
      e.amount = *rc::gen::inRange<uint32_t>(1, 12);
    }
    return e;
  });
}

inline rc::Gen<Schedule> gen_schedule(Bug bug) {
  return rc::gen::exec([=] {
    Schedule s;
    s.bug = bug;
    s.nodes = *rc::gen::element<uint32_t>(3, 5, 7);
    s.spares = *rc::gen::inRange<uint32_t>(0, 2);
    s.seed = *rc::gen::inRange<uint64_t>(1, 1000000);
    s.fault_steps = *rc::gen::inRange<uint32_t>(100, 800);
    s.batch = *rc::gen::element<uint32_t>(1, 3, 64);
    // Up to 30 events at every size; shrinking removes events one by one.
    s.events = *rc::gen::resize(30, rc::gen::container<std::vector<FaultEvent>>(
                                        gen_event(s.nodes, s.spares, s.fault_steps)));
    return s;
  });
}

}  // namespace cairn::raft::testing
