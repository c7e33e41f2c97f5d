// A pool of aligned byte buffers that come back by themselves: acquire() hands out a
// buffer owned by a shared_ptr whose last release (on any thread) returns it to the pool,
// so a caller that keeps encoding chunks of the same size allocates nothing once warm.
//
// Promises: every buffer starts on a kShardAlignmentBytes boundary and is at least as long
// as asked (its capacity is the size rounded up to one of eight steps per power of two, or
// to kShardAlignmentBytes for small sizes, so sizes that differ a little share buffers); at most
// max_idle buffers wait in the pool, the oldest idle one is freed first; buffers may outlive the
// pool's other users. Thread-safe: acquire() and releases may run on any threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>

#include "absl/base/thread_annotations.h"

namespace cairn::erasure {

class BufferPool : public std::enable_shared_from_this<BufferPool> {
 public:
  // Pools are shared with the buffers they hand out, so they live on the heap.
  static std::shared_ptr<BufferPool> create(size_t max_idle);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A buffer of at least `bytes` bytes (contents unspecified). REQUIRES: bytes > 0.
  std::shared_ptr<uint8_t> acquire(size_t bytes);

  // Buffers allocated since creation (reuses do not count): what tests watch.
  uint64_t buffers_allocated() const;
  // Buffers waiting in the pool now.
  size_t idle_buffers() const;

  // The capacity a request for `bytes` gets. REQUIRES: bytes > 0.
  static size_t capacity_for(size_t bytes);

 private:
  struct Block {
    uint8_t* bytes = nullptr;
    size_t capacity = 0;
  };
  explicit BufferPool(size_t max_idle) : max_idle_(max_idle) {}
  void release(Block block);
  static void free_block(Block block);

  const size_t max_idle_;
  mutable std::mutex mu_;
  std::deque<Block> idle_ ABSL_GUARDED_BY(mu_);  // oldest first
  uint64_t allocated_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cairn::erasure
