#include "core/meta/node_registry.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace cairn::meta {
namespace {

absl::Status check_node(const wire::StorageNode& n) {
  if (n.id() == 0) return absl::InvalidArgumentError("storage node ids start at 1");
  if (!wire::NodeState_IsValid(n.state())) {
    return absl::InvalidArgumentError(
        absl::StrCat("storage node ", n.id(), ": unknown state ", n.state()));
  }
  if (!(n.weight() >= 0) || std::isinf(n.weight())) {
    return absl::InvalidArgumentError(
        absl::StrCat("storage node ", n.id(), ": weight ", n.weight(), " (finite, >= 0)"));
  }
  return absl::OkStatus();
}

// The fields placement reads, and nothing else (unknown fields are not kept).
wire::StorageNode placement_fields(const wire::StorageNode& n) {
  wire::StorageNode out;
  out.set_id(n.id());
  out.set_address(n.address());
  out.set_zone(n.zone());
  out.set_capacity_bytes(n.capacity_bytes());
  out.set_weight(n.weight());
  out.set_state(n.state());
  return out;
}

bool same(const wire::StorageNode& a, const wire::StorageNode& b) {
  return a.address() == b.address() && a.zone() == b.zone() &&
         a.capacity_bytes() == b.capacity_bytes() && a.weight() == b.weight() &&
         a.state() == b.state();
}

}  // namespace

absl::Status NodeRegistry::register_node(const wire::StorageNode& node, bool only_if_up) {
  if (absl::Status st = check_node(node); !st.ok()) return st;
  if (auto known = nodes_.find(node.id());
      only_if_up && known != nodes_.end() && known->second.state() != wire::NODE_UP) {
    return absl::FailedPreconditionError(
        absl::StrCat("storage node ", node.id(), " is not registered up: its state stays"));
  }
  auto [it, inserted] = nodes_.try_emplace(node.id());
  if (!inserted && same(it->second, node)) return absl::OkStatus();
  it->second = placement_fields(node);
  ++epoch_;
  CAIRN_ASSERT(epoch_ >= nodes_.size());
  return absl::OkStatus();
}

void NodeRegistry::save(wire::NsSnapshot* out) const {
  for (const auto& [id, node] : nodes_) *out->add_nodes() = node;
  out->set_epoch(epoch_);
}

absl::Status NodeRegistry::load(const wire::NsSnapshot& snap) {
  nodes_.clear();
  for (const wire::StorageNode& n : snap.nodes()) {
    if (absl::Status st = check_node(n); !st.ok()) {
      return absl::DataLossError(absl::StrCat("namespace snapshot: ", st.message()));
    }
    if (!nodes_.emplace(n.id(), placement_fields(n)).second) {
      return absl::DataLossError(absl::StrCat("namespace snapshot: node ", n.id(), " twice"));
    }
  }
  epoch_ = snap.epoch();
  if (epoch_ < nodes_.size()) {
    return absl::DataLossError("namespace snapshot: an epoch below the number of nodes");
  }
  return absl::OkStatus();
}

}  // namespace cairn::meta
