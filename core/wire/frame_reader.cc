#include "core/wire/frame_reader.h"

#include "core/base/assert.h"

namespace cairn::wire {

FrameReader::FrameReader(FrameLimits limits, std::shared_ptr<BufferPool> buffers,
                         size_t staging_bytes, size_t direct_min)
    : decoder_(limits, std::move(buffers)), staging_(staging_bytes), direct_min_(direct_min) {
  CAIRN_ASSERT(staging_bytes > 0 && direct_min > 0);
}

std::span<char> FrameReader::next() {
  // want() is empty only after an error (frames are taken as soon as they are whole);
  // the staging buffer then takes the read, and landed() reports the error again.
  const std::span<char> want = decoder_.want();
  direct_ = want.size() >= direct_min_ && decoder_.mid_frame() && !decoder_.has_frame();
  return direct_ ? want : std::span<char>(staging_);
}

absl::Status FrameReader::landed(size_t n, std::vector<Frame>* out) {
  CAIRN_ASSERT(out != nullptr);
  if (!direct_) return decoder_.feed(staging_.data(), n, out);
  ++direct_reads_;
  absl::Status s = decoder_.commit(n);
  if (decoder_.has_frame()) out->push_back(decoder_.take());
  return s;
}

}  // namespace cairn::wire
