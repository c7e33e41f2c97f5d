// Test support: random memberships for placement properties (RapidCheck generators).
#pragma once

#include <rapidcheck.h>

#include "absl/strings/str_cat.h"
#include "core/placement/topology.h"

namespace cairn::placement::testing {

// `nodes` nodes with distinct ids, spread at random over up to `zones` zones of up to 3
// racks each; weights 1 unless `weighted`.
inline Membership random_membership(int nodes, int zones, bool weighted) {
  Membership m;
  m.epoch = *rc::gen::inRange<uint64_t>(1, 1000);
  const NodeId id_base = *rc::gen::inRange<NodeId>(0, NodeId{1} << 30);
  for (int i = 0; i < nodes; ++i) {
    Node node;
    node.id = id_base + static_cast<NodeId>(i) * 7919;
    node.zone = absl::StrCat("z", *rc::gen::inRange(0, zones));
    node.rack = absl::StrCat("r", *rc::gen::inRange(0, 3));
    node.weight = weighted ? *rc::gen::element(0.5, 1.0, 2.0) : 1.0;
    m.nodes.push_back(node);
  }
  return m;
}

// Each of the `zones` zones gets `per_zone` nodes (single rack each): a balanced cluster.
inline Membership balanced_membership(int zones, int per_zone) {
  Membership m;
  m.epoch = 1;
  for (int z = 0; z < zones; ++z) {
    for (int i = 0; i < per_zone; ++i) {
      m.nodes.push_back({static_cast<NodeId>(1000 * z + i + 1), absl::StrCat("z", z), "r0", 1.0});
    }
  }
  return m;
}

}  // namespace cairn::placement::testing
