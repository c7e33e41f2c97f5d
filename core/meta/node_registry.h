// The namespace's registry of storage nodes (core/meta): what placement reads, and the
// placement epoch that tells readers it changed.
//
// Promises: nodes are kept by id; the epoch starts at 0 and grows by exactly one with
// every registration that adds a node or changes what placement reads (address, zone,
// capacity, weight, state); registering a node unchanged leaves the epoch alone.
#pragma once

#include <cstdint>
#include <map>

#include "absl/status/status.h"
#include "core/meta/namespace.pb.h"

namespace cairn::meta {

class NodeRegistry {
 public:
  // Adds or updates `node`. InvalidArgument for id 0, an unknown state, or a weight that
  // is negative or not a number. With only_if_up, FailedPrecondition (and no change) when
  // the node is registered in a state other than NODE_UP.
  absl::Status register_node(const wire::StorageNode& node, bool only_if_up = false);

  uint64_t epoch() const { return epoch_; }
  const std::map<uint32_t, wire::StorageNode>& nodes() const { return nodes_; }

  void save(wire::NsSnapshot* out) const;
  // DataLoss for a node the snapshot could not have held.
  absl::Status load(const wire::NsSnapshot& snap);

 private:
  uint64_t epoch_ = 0;
  std::map<uint32_t, wire::StorageNode> nodes_;  // by id
};

}  // namespace cairn::meta
