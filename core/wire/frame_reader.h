// FrameReader: a FrameDecoder with the buffer a byte-stream reader fills next.
//
// A socket reader that copies everything through a small staging buffer copies every
// payload byte once more than needed and makes a system call per staging buffer (64 KiB)
// even for a 64 MiB answer. A FrameReader hands out, as the place for the next read, the
// decoder's own payload memory (FrameDecoder::want()) once at least kDirectMin bytes of a
// payload are still to come, so the kernel copies them straight into the payload's final
// string, as much as the socket holds in one call; headers and small payloads go through
// the staging buffer as before, several frames per read. Either way every byte is checked
// as FrameDecoder checks it (lengths, CRC), and frames come out in order.
//
// Use: read into next(), then call landed(n, &frames) with the count read. Not thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "core/wire/frame.h"

namespace cairn::wire {

class FrameReader {
 public:
  // A payload part of at least `direct_min` bytes is read in place. REQUIRES: both > 0.
  explicit FrameReader(FrameLimits limits = {}, std::shared_ptr<BufferPool> buffers = nullptr,
                       size_t staging_bytes = kStagingBytes, size_t direct_min = kDirectMin);

  static constexpr size_t kStagingBytes = 64 << 10;
  static constexpr size_t kDirectMin = 16 << 10;

  // Where the next read's bytes must go (never empty, never past what the stream may
  // still hold of the current frame when it is the decoder's memory).
  std::span<char> next();
  // `n` bytes were written at the last next(). Appends every frame they completed to
  // `out`; returns the decoder's (sticky) error, frames before it still in `out`.
  absl::Status landed(size_t n, std::vector<Frame>* out);

  FrameDecoder& decoder() { return decoder_; }
  // Reads that landed in a payload's final place, not in the staging buffer.
  uint64_t direct_reads() const { return direct_reads_; }

 private:
  FrameDecoder decoder_;
  std::vector<char> staging_;
  size_t direct_min_;
  bool direct_ = false;
  uint64_t direct_reads_ = 0;
};

}  // namespace cairn::wire
