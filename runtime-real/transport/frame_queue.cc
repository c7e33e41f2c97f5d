#include "runtime-real/transport/frame_queue.h"

#include "core/base/assert.h"

namespace cairn::real {

uint64_t FrameQueue::push(const Message& m, const wire::FrameMeta& meta) {
  const uint64_t bytes = m.wire_size();
  out_.push_back(Out{wire::encode_frame_header(m, meta), m.header, m.payload, bytes});
  bytes_ += bytes;
  return bytes;
}

const std::vector<asio::const_buffer>& FrameQueue::start_write() {
  CAIRN_ASSERT(!out_.empty() && writing_ == 0);
  gather_.clear();
  for (const Out& o : out_) {
    gather_.push_back(asio::buffer(o.head));
    if (!o.header.empty()) gather_.push_back(asio::buffer(o.header));
    if (!o.payload.view().empty()) {
      gather_.push_back(asio::buffer(o.payload.data(), o.payload.view().size()));
    }
    if (++writing_ == kGatherFramesMax) break;
  }
  return gather_;
}

void FrameQueue::written() {
  CAIRN_ASSERT(writing_ <= out_.size());
  for (; writing_ > 0; --writing_) {
    bytes_ -= out_.front().bytes;
    out_.pop_front();
  }
}

void FrameQueue::clear() {
  out_.clear();
  gather_.clear();
  bytes_ = 0;
  writing_ = 0;
}

}  // namespace cairn::real
