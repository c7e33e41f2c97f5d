// Test support for the repair planner: a rendezvous placement over a balanced cluster and
// erasure-coded layouts placed by it, as a coordinator would have written them.
#pragma once

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/placement/mirror.h"
#include "core/placement/rendezvous.h"
#include "core/placement/testing.h"
#include "core/repair/planner.h"
#include "core/storage/chunk_layout.h"

namespace cairn::repair::testing {

// `zones` zones of `per_zone` nodes; node ids 1000 * zone + i + 1.
inline std::shared_ptr<const placement::PlacementPolicy> balanced_policy(int zones, int per_zone) {
  auto policy =
      placement::Rendezvous::build(placement::testing::balanced_membership(zones, per_zone));
  CAIRN_ASSERT(policy.ok());
  return std::make_shared<placement::Rendezvous>(std::move(*policy));
}

// An rs(k, m) layout of chunk number `n` (`bytes` long), on the nodes `policy` prefers.
inline storage::ChunkLayout placed_layout(const placement::PlacementPolicy& policy, int n, int k,
                                          int m, uint64_t bytes = 4096) {
  storage::ChunkLayout l;
  l.chunk = cas::Digest(cas::Digest::of(absl::StrCat("chunk ", n)).hash(), bytes);
  l.mode = storage::StorageMode::kErasure;
  l.data_shards = k;
  l.parity_shards = m;
  l.shard_bytes = storage::erasure_shard_bytes(k, bytes);
  l.epoch = policy.epoch();
  auto nodes = policy.place(l.chunk.prefix64(), k + m);
  CAIRN_ASSERT(nodes.ok());
  for (int i = 0; i < k + m; ++i) {
    l.shards.push_back({storage::virtual_shard_digest(l.chunk, i, l.shard_bytes),
                        (*nodes)[static_cast<size_t>(i)]});
  }
  return l;
}

// The same, mirrored (chunk_layout.h): each shard on the two nodes of a pair of the mirror
// pairs over the policy's members, as a coordinator with mirror_pairs writes it.
inline storage::ChunkLayout mirrored_layout(const placement::PlacementPolicy& policy, int n, int k,
                                            int m, uint64_t bytes = 4096) {
  storage::ChunkLayout l = placed_layout(policy, n, k, m, bytes);
  auto pairs = placement::mirror_over(policy.topology(), policy.topology());
  CAIRN_ASSERT(pairs.ok());
  auto nodes = (*pairs)->place(l.chunk.prefix64(), 2 * (k + m));
  CAIRN_ASSERT(nodes.ok());
  l.mirrored = true;
  std::vector<storage::ShardPlace> slots;
  for (int i = 0; i < 2 * (k + m); ++i) {
    slots.push_back(
        {l.shards[static_cast<size_t>(i / 2)].digest, (*nodes)[static_cast<size_t>(i)]});
  }
  l.shards = std::move(slots);
  return l;
}

// The namespace's rule for a MoveShard: a stale move (the shard left `from`, or `to`
// already holds a shard of the chunk: a late commit of a task the planner gave up on)
// changes nothing. Returns whether the move applied.
inline bool apply_move(storage::ChunkLayout& l, const LayoutMove& m) {
  auto& place = l.shards[static_cast<size_t>(m.shard)];
  if (place.node != m.from) return false;
  for (const auto& p : l.shards) {
    if (p.node == m.to) return false;
  }
  place.node = m.to;
  return true;
}

// Removes and returns the element `pick` (modulo the size) of a non-empty vector.
template <typename T>
T take(std::vector<T>& v, int pick) {
  const size_t at = static_cast<size_t>(pick) % v.size();
  T out = v[at];
  v.erase(v.begin() + static_cast<long>(at));
  return out;
}

}  // namespace cairn::repair::testing
