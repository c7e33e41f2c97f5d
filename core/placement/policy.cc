#include "core/placement/policy.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace cairn::placement {

void reassign(uint64_t key, std::vector<NodeId>& layout, const std::vector<NodeId>& target,
              std::vector<ShardMove>& moves) {
  CAIRN_ASSERT(layout.size() == target.size());
  auto contains = [](const std::vector<NodeId>& v, NodeId id) {
    return std::find(v.begin(), v.end(), id) != v.end();
  };
  std::vector<NodeId> arrivals;
  for (NodeId id : target) {
    if (!contains(layout, id)) arrivals.push_back(id);
  }
  size_t next = 0;
  for (size_t shard = 0; shard < layout.size(); ++shard) {
    if (contains(target, layout[shard])) continue;
    CAIRN_ASSERT(next < arrivals.size());
    moves.push_back({key, static_cast<int>(shard), layout[shard], arrivals[next]});
    layout[shard] = arrivals[next++];
  }
  CAIRN_ASSERT(next == arrivals.size());
}

absl::StatusOr<std::vector<ShardMove>> moved_shards(const PlacementPolicy& before,
                                                    const PlacementPolicy& after,
                                                    absl::Span<const uint64_t> keys, int count) {
  if (after.epoch() <= before.epoch()) {
    return absl::InvalidArgumentError(
        absl::StrCat("epoch ", after.epoch(), " does not follow epoch ", before.epoch()));
  }
  std::vector<ShardMove> moves;
  for (uint64_t key : keys) {
    auto old_nodes = before.place(key, count);
    if (!old_nodes.ok()) return old_nodes.status();
    auto new_nodes = after.place(key, count);
    if (!new_nodes.ok()) return new_nodes.status();
    reassign(key, *old_nodes, *new_nodes, moves);
  }
  return moves;
}

}  // namespace cairn::placement
