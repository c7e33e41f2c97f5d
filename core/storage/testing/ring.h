// Test support: a consistent-hash ring over nodes 1..n spread round-robin over zones
// "a", "b", "c" (node 1 in a, 2 in b, ...), as the coordinator's and repair's tests place.
#pragma once

#include <memory>
#include <string>

#include "core/base/assert.h"
#include "core/placement/ring.h"

namespace cairn::storage::testing {

inline std::string zone_of(NodeId id) {
  return std::string(1, static_cast<char>('a' + (id - 1) % 3));
}

inline std::shared_ptr<const placement::PlacementPolicy> ring_of(int nodes, uint64_t epoch = 7) {
  placement::Membership m;
  m.epoch = epoch;
  for (int i = 1; i <= nodes; ++i) {
    m.nodes.push_back({static_cast<NodeId>(i), zone_of(static_cast<NodeId>(i)), "r", 1.0});
  }
  auto ring = placement::Ring::build(m, {});
  CAIRN_ASSERT(ring.ok());
  return std::make_shared<placement::Ring>(std::move(*ring));
}

}  // namespace cairn::storage::testing
