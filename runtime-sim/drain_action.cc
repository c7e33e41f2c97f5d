#include "runtime-sim/drain_action.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/meta/namespace_service.h"
#include "core/meta/namespace_state_machine.h"
#include "core/raft/mux_state_machine.h"
#include "core/raft/raft_service.h"
#include "core/storage/chunk_wire.h"

namespace cairn::sim {
namespace {

const meta::NamespaceStateMachine* namespace_of(SimNode& n) {
  if (!n.up() || n.node() == nullptr) return nullptr;
  auto* raft = n.node()->find<raft::RaftService>();
  if (raft == nullptr) return nullptr;
  const auto* mux = dynamic_cast<const raft::MuxStateMachine*>(&raft->state_machine());
  if (mux == nullptr) return nullptr;
  return dynamic_cast<const meta::NamespaceStateMachine*>(&mux->machine(meta::kNamespaceChannel));
}

}  // namespace

bool registered_draining(SimNode& leader, NodeId node) {
  const meta::NamespaceStateMachine* ns = namespace_of(leader);
  if (ns == nullptr) return false;
  const auto& nodes = ns->registry().nodes();
  auto it = nodes.find(node);
  return it != nodes.end() && it->second.state() == meta::wire::NODE_DRAINING;
}

void propose_drain(SimNode& leader, NodeId node) {
  leader.run([&leader, node] {
    if (leader.node() == nullptr) return;
    auto* raft = leader.node()->find<raft::RaftService>();
    if (raft == nullptr || !raft->is_leader()) return;
    meta::wire::NsCommand c;
    meta::wire::StorageNode* n = c.mutable_register_node()->mutable_node();
    n->set_id(node);
    n->set_state(meta::wire::NODE_DRAINING);
    raft->propose(raft::MuxStateMachine::wrap(meta::kNamespaceChannel, c.SerializeAsString()),
                  [](absl::StatusOr<std::string>) {});  // the World checks the registry
  });
}

void DrainProbe::sample(const std::vector<SimNode*>& nodes) {
  const meta::NamespaceStateMachine* ns = nullptr;
  for (SimNode* n : nodes) {
    auto* raft = n->up() && n->node() != nullptr ? n->node()->find<raft::RaftService>() : nullptr;
    if (raft != nullptr && raft->is_leader()) ns = namespace_of(*n);
  }
  if (ns == nullptr) return;
  sampled_ = true;
  chunks_ = placed_ = registered_ = 0;
  example_.clear();
  ns->chunk_table().each([&](const storage::wire::Layout& wire) {
    auto layout = storage::from_wire(wire);
    if (!layout.ok()) return;
    ++chunks_;
    for (size_t i = 0; i < layout->shards.size(); ++i) {
      const NodeId node = layout->shards[i].node;
      if (std::find(drained_.begin(), drained_.end(), node) == drained_.end()) continue;
      if (placed_++ == 0) {
        example_ = absl::StrCat("shard ", i, " of chunk ", layout->chunk.format().substr(7, 16),
                                " on n", node);
      }
    }
  });
  const auto& registry = ns->registry().nodes();
  for (NodeId n : drained_) {
    auto it = registry.find(n);
    registered_ += it != registry.end() && it->second.state() == meta::wire::NODE_DRAINING ? 1 : 0;
  }
}

CheckResult DrainProbe::judge() const {
  CheckResult r;
  if (drained_.empty() || !sampled_) {
    r.pass = r.judged = false;
    r.detail = drained_.empty() ? "no `drain:` action in the scenario"
                                : "no sample found a meta leader to read the chunk table from";
    return r;
  }
  r.figures["chunks"] = static_cast<double>(chunks_);
  r.figures["shards_on_drained"] = static_cast<double>(placed_);
  r.figures["drained_registered"] = static_cast<double>(registered_);
  r.pass = placed_ == 0 && registered_ == drained_.size();
  r.detail = absl::StrCat(registered_, " of ", drained_.size(), " nodes registered draining; ",
                          placed_, " shards of ", chunks_, " chunks still placed on them");
  if (placed_ > 0) absl::StrAppend(&r.detail, " (e.g. ", example_, ")");
  return r;
}

}  // namespace cairn::sim
