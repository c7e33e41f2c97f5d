#include "core/erasure/buffer_pool.h"

#include <algorithm>
#include <bit>
#include <iterator>
#include <new>

#include "core/base/assert.h"
#include "core/erasure/stripe.h"

namespace cairn::erasure {
namespace {

constexpr std::align_val_t kAlignment{kShardAlignmentBytes};

}  // namespace

std::shared_ptr<BufferPool> BufferPool::create(size_t max_idle) {
  return std::shared_ptr<BufferPool>(new BufferPool(max_idle));
}

BufferPool::~BufferPool() {
  for (const Block& block : idle_) free_block(block);
}

size_t BufferPool::capacity_for(size_t bytes) {
  CAIRN_ASSERT(bytes > 0);
  // Eight steps per power of two (at most an eighth wasted), never finer than the alignment.
  const size_t step = std::max<size_t>(std::bit_floor(bytes) / 8, kShardAlignmentBytes);
  const size_t capacity = (bytes + step - 1) / step * step;
  CAIRN_ASSERT(capacity >= bytes);
  CAIRN_ASSERT(capacity % kShardAlignmentBytes == 0);
  return capacity;
}

std::shared_ptr<uint8_t> BufferPool::acquire(size_t bytes) {
  const size_t capacity = capacity_for(bytes);
  Block block;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Newest first: the most recently used buffer is the likeliest to be in cache.
    for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
      if (it->capacity == capacity) {
        block = *it;
        idle_.erase(std::next(it).base());
        break;
      }
    }
    if (block.bytes == nullptr) ++allocated_;
  }
  if (block.bytes == nullptr) {
    block = {static_cast<uint8_t*>(::operator new(capacity, kAlignment)), capacity};
  }
  CAIRN_ASSERT(reinterpret_cast<uintptr_t>(block.bytes) % kShardAlignmentBytes == 0);
  return std::shared_ptr<uint8_t>(block.bytes,
                                  [pool = shared_from_this(), capacity](uint8_t* released) {
                                    pool->release({released, capacity});
                                  });
}

void BufferPool::release(Block block) {
  Block evicted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (max_idle_ == 0) {
      evicted = block;
    } else {
      if (idle_.size() == max_idle_) {
        evicted = idle_.front();
        idle_.pop_front();
      }
      idle_.push_back(block);
    }
  }
  if (evicted.bytes != nullptr) free_block(evicted);  // outside the lock: freeing may be slow
}

void BufferPool::free_block(Block block) { ::operator delete(block.bytes, kAlignment); }

uint64_t BufferPool::buffers_allocated() const {
  std::lock_guard<std::mutex> lock(mu_);
  return allocated_;
}

size_t BufferPool::idle_buffers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_.size();
}

}  // namespace cairn::erasure
