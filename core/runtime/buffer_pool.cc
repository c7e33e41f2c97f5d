#include "core/runtime/buffer_pool.h"

#include <algorithm>
#include <atomic>

#include "core/base/assert.h"

namespace cairn {

BufferPool::BufferPool(uint64_t bytes_max, size_t buffers_max)
    : bytes_max_(bytes_max), buffers_max_(buffers_max) {
  CAIRN_ASSERT(buffers_max_ >= 1);
}

std::shared_ptr<std::string> BufferPool::take(uint64_t bytes) {
  // The smallest idle buffer that is large enough; idle ones too small may go to make room.
  std::shared_ptr<std::string>* best = nullptr;
  for (auto& b : buffers_) {
    if (b.use_count() != 1 || b->capacity() < bytes) continue;
    if (best == nullptr || b->capacity() < (*best)->capacity()) best = &b;
  }
  if (best != nullptr) {
    // The last other reference was dropped with release order (possibly on another
    // thread): see its reads done before the bytes are overwritten.
    std::atomic_thread_fence(std::memory_order_acquire);
    ++reused_;
    return *best;
  }
  auto fresh = std::make_shared<std::string>();
  fresh->reserve(bytes);
  const uint64_t need = fresh->capacity();
  auto full = [&] { return pooled_bytes_ + need > bytes_max_ || buffers_.size() >= buffers_max_; };
  for (size_t i = 0; i < buffers_.size() && full();) {
    if (buffers_[i].use_count() == 1) {
      pooled_bytes_ -= buffers_[i]->capacity();
      buffers_.erase(buffers_.begin() + static_cast<long>(i));
    } else {
      ++i;
    }
  }
  if (!full()) {
    pooled_bytes_ += need;
    buffers_.push_back(fresh);
  }
  CAIRN_ASSERT(pooled_bytes_ <= bytes_max_ && buffers_.size() <= buffers_max_);
  CAIRN_ASSERT(fresh->capacity() >= bytes);
  return fresh;
}

}  // namespace cairn
