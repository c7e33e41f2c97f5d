// Test support: a coordinator on a manual cluster over FakeShards (a ring of `nodes`
// nodes, testing/ring.h), with blocking put and read helpers that advance time until the
// answer arrives.
#pragma once

#include <rapidcheck.h>

#include <memory>
#include <optional>
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
  explicit CoordinatorFixture(int nodes, CoordinatorOptions options = {}, uint64_t seed = 1)
      : cluster(seed),
        rt(cluster.add_node(100)),
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
  // For the durability properties: reads `data`'s chunk whole and [offset, +length). With
  // enough shards left (`readable`) both give exactly `data`'s bytes; otherwise the whole
  // read is DataLoss (an empty chunk needs no shard) and the range is never wrong bytes.
  void check_reads(const ChunkLayout& l, const std::string& data, uint64_t offset, uint64_t length,
                   bool readable) {
    auto whole = read_all(l);
    auto part = read(l, offset, length);
    if (readable) {
      RC_ASSERT(whole.ok());
      RC_ASSERT(*whole == data);
      RC_ASSERT(part.ok());
      RC_ASSERT(*part == data.substr(offset, length));
      return;
    }
    // (RC_ASSERT does not short-circuit ||: decide first.)
    const bool whole_refused = data.empty() || absl::IsDataLoss(whole.status());
    const bool part_right = !part.ok() || *part == data.substr(offset, length);
    RC_ASSERT(whole_refused);
    RC_ASSERT(part_right);
  }

  ManualCluster cluster;
  ManualRuntime& rt;
  FakeShards shards;
  std::shared_ptr<const placement::PlacementPolicy> ring;
  Coordinator coordinator;
};

}  // namespace cairn::storage::testing
