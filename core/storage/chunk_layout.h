// Where a chunk's shards live: the record a coordinator returns when it acknowledges a
// write, and what a reader (and later the namespace's manifest and repair) needs to find
// and rebuild the chunk.
//
// A chunk is stored in one of two storage modes: whole-chunk replication with factor r
// (a replication code: k = 1, m = r - 1, every shard the whole chunk), or Reed-Solomon
// k + m (k data shards holding the chunk's bytes in order, zero-padded to shard_bytes,
// then m parity shards). Each shard is itself content-addressed by its own digest.
//
// Mirror pairs (seed 004) add a copy of every shard: a mirrored layout lists two places
// per shard, slots 2i and 2i + 1 for shard i, on the two nodes of a mirror pair, both
// under the shard's one digest. Either copy serves the shard; when both are gone the shard
// comes back by the code, from the stripe's other shards. Repair, audits and moves work on
// slots (an index into `shards`); the code works on shards.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/cas/digest.h"
#include "core/runtime/message.h"

namespace cairn::storage {

enum class StorageMode { kReplicated, kErasure };

const char* mode_name(StorageMode mode);  // "replicated" or "erasure"

struct ShardPlace {
  cas::Digest digest;  // the shard's own content address
  NodeId node = kNoNode;
};

struct ChunkLayout {
  cas::Digest chunk;  // the chunk's digest: SHA-256 of its bytes, and its size
  StorageMode mode = StorageMode::kErasure;
  int data_shards = 1;    // k (1 when replicated)
  int parity_shards = 0;  // m (r - 1 when replicated)
  uint64_t shard_bytes = 0;
  uint64_t epoch = 0;              // the placement epoch the shards were placed at
  bool mirrored = false;           // every shard held twice (slots 2i, 2i + 1)
  std::vector<ShardPlace> shards;  // the slots: k + m (twice that mirrored), in index order
  int total_shards() const { return data_shards + parity_shards; }  // the code's shards
  int copies() const { return mirrored ? 2 : 1; }
  int slots() const { return static_cast<int>(shards.size()); }
  int shard_of(int slot) const { return slot / copies(); }
  // The other slot of a mirrored shard; -1 when not mirrored.
  int partner_slot(int slot) const { return mirrored ? slot ^ 1 : -1; }
  const ShardPlace& copy(int shard, int c) const {
    return shards[static_cast<size_t>(shard * copies() + c)];
  }
  // "rs(3,2)" or "rep(3)".
  std::string code_name() const;
};

// The shard length of a chunk of `chunk_bytes` under Reed-Solomon with k data shards: the
// chunk split k ways, rounded up to the codec's alignment (erasure::plan_stripe's answer).
uint64_t erasure_shard_bytes(int data_shards, uint64_t chunk_bytes);

// The content address of erasure shard `index` of a virtual chunk (the simulator's
// length-only payloads, docs/storage.md): its bytes cannot be hashed, so it is named by
// the SHA-256 of the chunk's digest and the shard's index, with the shard's length. Two
// chunks, or two shards of one chunk, never share a name; the same chunk always gives the
// same names.
cas::Digest virtual_shard_digest(const cas::Digest& chunk, int index, uint64_t shard_bytes);

// InvalidArgument naming the fault unless the layout is self-consistent: 1 <= k, 0 <= m,
// k + m <= 32, one place per slot, each on a node and of shard_bytes; replicas are k = 1
// and the chunk's own length; erasure shards are erasure_shard_bytes long; the two copies
// of a mirrored shard share its digest and sit on two different nodes.
absl::Status validate(const ChunkLayout& layout);

}  // namespace cairn::storage
