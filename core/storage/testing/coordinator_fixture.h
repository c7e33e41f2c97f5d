// Test support: a coordinator on a manual cluster over FakeShards (a ring of `nodes`
// nodes, testing/ring.h), with blocking put and read helpers that advance time until the
// answer arrives.
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "core/cas/shard_store_testing.h"
#include "core/runtime/manual_runtime.h"
#include "core/storage/coordinator.h"
#include "core/storage/testing/fake_shards.h"
#include "core/storage/testing/ring.h"

namespace cairn::storage::testing {

// Reed-Solomon k + m chosen for one write (m = 0: no parity).
inline WriteOptions rs(int k, int m) {
  WriteOptions o;
  o.mode = StorageMode::kErasure;
  o.data_shards = k;
  o.parity_shards = m;
  o.no_parity = m == 0;
  return o;
}

struct CoordinatorFixture {
  // The coordinator runs as node `self`: by default none of the ring's (1..nodes).
  explicit CoordinatorFixture(int nodes, CoordinatorOptions options = {}, uint64_t seed = 1,
                              NodeId self = 100)
      : cluster(seed),
        rt(cluster.add_node(self)),
        shards(rt),
        ring(ring_of(nodes)),
        coordinator(rt, shards, ring, options) {}

  absl::StatusOr<ChunkLayout> put(const std::string& bytes, WriteOptions options = {}) {
    return put_as(cas::testing::digest_of(bytes), bytes, options);
  }
  absl::StatusOr<ChunkLayout> put_as(const cas::Digest& d, const std::string& bytes,
                                     WriteOptions options = {}) {
    std::optional<absl::StatusOr<ChunkLayout>> out;
    coordinator.put_chunk(d, Payload(bytes), options, [&](auto r) { out = std::move(r); });
    while (!out) cluster.advance(std::chrono::milliseconds(1));
    return *out;
  }
  absl::StatusOr<std::string> read(const ChunkLayout& l, uint64_t offset, uint64_t length) {
    std::optional<absl::StatusOr<Payload>> out;
    coordinator.read_chunk(l, offset, length, [&](auto r) { out = std::move(r); });
    while (!out) cluster.advance(std::chrono::milliseconds(1));
    if (!out->ok()) return out->status();
    return std::string((*out)->view());
  }
  absl::StatusOr<std::string> read_all(const ChunkLayout& l) {
    return read(l, 0, l.chunk.size_bytes());
  }
  // The place's node loses its shard (`lose`), or keeps bytes that fail their check.
  void spoil(const ShardPlace& p, bool lose) {
    if (lose) {
      shards.lose(p.node, p.digest);
    } else {
      shards.node(p.node).corrupt.insert(p.digest);
    }
  }
  // For the durability properties: `gone` holds the shards with no good copy left. Reads
  // `data`'s chunk whole and [offset, +length). A read must give exactly `data`'s bytes
  // when it can: its range is empty, at most the parity's count of shards are gone, or
  // (erasure code) none of the data shards holding its bytes is gone, for a read touches
  // only those (a chunk smaller than k shards leaves some holding none). Otherwise it must
  // be DataLoss, never bytes.
  void check_reads(const ChunkLayout& l, const std::string& data, uint64_t offset, uint64_t length,
                   const std::set<int>& gone) {
    check_read(l, data, 0, data.size(), read_all(l), gone);
    check_read(l, data, offset, length, read(l, offset, length), gone);
  }
  static void check_read(const ChunkLayout& l, const std::string& data, uint64_t offset,
                         uint64_t length, const absl::StatusOr<std::string>& got,
                         const std::set<int>& gone) {
    bool can = length == 0 || static_cast<int>(gone.size()) <= l.total_shards() - l.data_shards;
    if (!can && l.mode == StorageMode::kErasure) {
      const auto first = static_cast<int>(offset / l.shard_bytes);
      const auto last = static_cast<int>((offset + length - 1) / l.shard_bytes);
      can = std::none_of(gone.begin(), gone.end(), [&](int i) { return i >= first && i <= last; });
    }
    if (can) {
      RC_ASSERT(got.ok());
      RC_ASSERT(*got == data.substr(offset, length));
    } else {
      RC_ASSERT(absl::IsDataLoss(got.status()));
    }
  }

  ManualCluster cluster;
  ManualRuntime& rt;
  FakeShards shards;
  std::shared_ptr<const placement::PlacementPolicy> ring;
  Coordinator coordinator;
};

}  // namespace cairn::storage::testing
