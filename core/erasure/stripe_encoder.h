// The coordinator's encode path: a chunk Payload cut into k data shards and coded into m
// parity shards without copying the chunk, into buffers that are reused from call to call.
//
// Promises: the shards' bytes equal encode_stripe's for the same codec and chunk (zero
// padding included); data shards that lie wholly inside the chunk (or its zero tail) alias
// its bytes (sharing
// the chunk payload's owner), so they are only as aligned as the chunk; every other shard
// lives in a pooled buffer that starts on a kShardAlignmentBytes boundary. A pooled buffer
// goes back to the pool when the last Payload referring to it is destroyed, on any thread,
// so steady-state encoding of same-sized chunks allocates no buffer. Shard CRCs are not
// computed here (encode_stripe does that for the stripe path).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/erasure/buffer_pool.h"
#include "core/erasure/codec.h"
#include "core/erasure/stripe.h"
#include "core/runtime/message.h"

namespace cairn::erasure {

struct EncodedChunk {
  StripeLayout layout;                 // as plan_stripe(codec, chunk size) gives
  std::vector<cairn::Payload> shards;  // all k+m, in index order, each layout.shard_bytes long
};

class StripeEncoder {
 public:
  // REQUIRES: codec outlives the encoder. Keeps at most max_pooled_buffers idle buffers.
  explicit StripeEncoder(const Codec& codec, size_t max_pooled_buffers = 16);

  // Cuts `chunk` into k data shards and computes the m parity shards. Data shards alias
  // the chunk's bytes except those that reach past its end and past its declared zero
  // tail (Payload::zero_tail), which are copied into pooled buffers with zero padding; parity
  // shards are written into pooled buffers. With a replication codec every shard is the data shard
  // itself (the same bytes, shared). A chunk with virtual bytes (chunk.virtual_bytes > 0) is
  // encoded as a length only: its shards are virtual, of the layout's size, and carry no bytes.
  // Thread-safe: encode() may run on one thread while Payloads from earlier calls are
  // released on others, and several threads may encode at once.
  EncodedChunk encode(const cairn::Payload& chunk);

  // Pool figures for tests and metrics: buffers allocated since construction (reuses do
  // not count) and buffers idle in the pool now.
  uint64_t buffers_allocated() const { return pool_->buffers_allocated(); }
  size_t idle_buffers() const { return pool_->idle_buffers(); }

 private:
  const Codec& codec_;
  std::shared_ptr<BufferPool> pool_;  // shared with the buffers handed out
};

}  // namespace cairn::erasure
