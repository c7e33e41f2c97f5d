#include "runtime-sim/redundancy_check.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/meta/namespace_service.h"
#include "core/meta/namespace_state_machine.h"
#include "core/raft/mux_state_machine.h"
#include "core/raft/raft_service.h"
#include "core/storage/chunk_wire.h"
#include "core/storage/storage_service.h"
#include "runtime-sim/sim_node.h"

namespace cairn::sim {
namespace {

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

const meta::NamespaceStateMachine* leader_namespace(const std::vector<SimNode*>& nodes) {
  for (SimNode* n : nodes) {
    if (!n->up() || n->node() == nullptr) continue;
    auto* raft = n->node()->find<raft::RaftService>();
    if (raft == nullptr || !raft->is_leader()) continue;
    const auto* mux = dynamic_cast<const raft::MuxStateMachine*>(&raft->state_machine());
    if (mux == nullptr) return nullptr;
    return dynamic_cast<const meta::NamespaceStateMachine*>(&mux->machine(meta::kNamespaceChannel));
  }
  return nullptr;
}

}  // namespace

void RedundancyProbe::sample(Time now, const std::vector<SimNode*>& nodes) {
  const meta::NamespaceStateMachine* ns = leader_namespace(nodes);
  if (ns == nullptr) return;
  std::map<NodeId, const cas::ShardStore*> stores;  // live storage nodes
  for (SimNode* n : nodes) {
    if (!n->up() || n->node() == nullptr) continue;
    if (auto* s = n->node()->find<storage::StorageService>()) stores[n->self()] = &s->store();
  }
  uint64_t degraded = 0;
  uint64_t chunks = 0;
  std::string example;  // the first degraded shard, for the verdict
  for (auto& [spare, count] : spares_) count = 0;
  ns->chunk_table().each([&](const storage::wire::Layout& wire) {
    auto layout = storage::from_wire(wire);
    if (!layout.ok()) return;
    ++chunks;
    std::set<int> intact;  // shards of the code with a copy held (a mirrored one has two)
    for (size_t i = 0; i < layout->shards.size(); ++i) {
      const storage::ShardPlace& place = layout->shards[i];
      auto it = stores.find(place.node);
      const bool down = it == stores.end();
      if (!down && it->second->contains(place.digest)) {
        intact.insert(layout->shard_of(static_cast<int>(i)));
        continue;
      }
      if (degraded++ == 0) {
        example = absl::StrCat("shard ", i, " of chunk ", layout->chunk.format().substr(7, 16),
                               " on n", place.node, down ? " (down)" : " (not held there)");
      }
    }
    ++spares_[std::max(-1, static_cast<int>(intact.size()) - layout->data_shards)];
  });
  last_example_ = example;
  last_sample_ = now;
  chunks_ = chunks;
  last_degraded_ = degraded;
  max_degraded_ = std::max(max_degraded_, degraded);
  if (now < from_) {
    degraded_before_from_ = degraded > 0;
    return;
  }
  if (degraded > 0) {
    if (!first_degraded_) first_degraded_ = degraded_before_from_ ? from_ : now;
    healed_.reset();
  } else if (first_degraded_ && !healed_) {
    healed_ = now;
  }
}

CheckResult RedundancyProbe::judge(Duration max) const {
  CheckResult r;
  r.figures["redundancy_max_degraded_shards"] = static_cast<double>(max_degraded_);
  r.figures["redundancy_chunks"] = static_cast<double>(chunks_);
  if (!last_sample_) {
    r.pass = false;
    r.detail = "no sample found a meta leader";
    return r;
  }
  if (!first_degraded_) {
    r.detail = from_ > Time{}
                   ? absl::StrCat("no shard was degraded from the last fault on (",
                                  seconds(from_.time_since_epoch()), "s, ", chunks_, " chunks)")
                   : absl::StrCat("no shard was ever degraded (", chunks_, " chunks)");
    return r;
  }
  if (!healed_) {
    r.pass = false;
    r.detail =
        absl::StrCat(last_degraded_, " shards still degraded at the end (first at ",
                     seconds(first_degraded_->time_since_epoch()), "s), e.g. ", last_example_);
    return r;
  }
  const Duration took = *healed_ - *first_degraded_;
  r.figures["redundancy_heal_s"] = seconds(took);
  r.pass = took <= max;
  const bool clock_at_from = from_ > Time{} && *first_degraded_ == from_;
  r.detail = absl::StrCat("up to ", max_degraded_, " shards degraded; every one of ", chunks_,
                          " chunks whole again ", seconds(took), "s after ",
                          clock_at_from ? "the last fault" : "the first loss", " (max ",
                          seconds(max), "s)");
  return r;
}

}  // namespace cairn::sim
