// BufferPool: large byte buffers handed out again once every Payload sharing one is gone.
//
// Why: a buffer of a chunk's size (4 MiB to 64 MiB) that is freshly allocated is freshly
// mapped, and each of its 4 KiB pages faults in on first touch; on a virtual machine that
// costs tens of microseconds a page, more than copying the bytes (docs/performance.md,
// "4 MiB gets"). A buffer that was filled before costs nothing to fill again.
//
// Promises: take() returns a string with capacity for at least `bytes`, used by nobody
// else, holding whatever its last user left in it (clear() it, or overwrite it: resizing
// a reused buffer to the size it had zero-fills nothing); a pooled buffer is reused only
// when the pool holds its last reference (every Payload made from it was dropped, on any
// thread). The pool holds at most
// `buffers_max` buffers and `bytes_max` of capacity, in use or idle (idle ones are dropped
// to make room); a buffer that does not fit is handed out unpooled (freed with its last
// Payload), so receivers that keep their payloads cost the pool nothing but its slots. One thread
// calls take(); Payloads made from the buffers may be dropped on any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cairn {

class BufferPool {
 public:
  // REQUIRES: buffers_max >= 1.
  BufferPool(uint64_t bytes_max, size_t buffers_max);

  // A buffer with capacity() >= bytes; new ones are empty, reused ones keep their bytes.
  std::shared_ptr<std::string> take(uint64_t bytes);

  // Capacity of the pooled buffers, in use or idle (never above bytes_max).
  uint64_t pooled_bytes() const { return pooled_bytes_; }
  size_t pooled_buffers() const { return buffers_.size(); }
  // take() calls answered with a pooled buffer that was filled before.
  uint64_t reused() const { return reused_; }

 private:
  uint64_t bytes_max_;
  size_t buffers_max_;
  uint64_t pooled_bytes_ = 0;
  uint64_t reused_ = 0;
  std::vector<std::shared_ptr<std::string>> buffers_;
};

}  // namespace cairn
