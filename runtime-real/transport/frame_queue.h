// FrameQueue: messages waiting to be written to a stream socket, written with gather I/O.
//
// Each queued message keeps its 32-byte frame header (encoded when queued), its protobuf
// header and its Payload, which shares the payload's owner: a payload is written from
// where it lies, never copied into a frame buffer. Copying a 4 MiB or 64 MiB chunk into a
// fresh frame string costs a copy and, for fresh memory, a page fault per 4 KiB page
// (docs/performance.md). start_write() hands out the buffers of up to kGatherFramesMax
// frames at the front; written() drops them once the write completed.
//
// Not thread-safe: one connection's thread uses it.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "core/runtime/message.h"
#include "core/wire/frame.h"
#include "runtime-real/host/asio.h"

namespace cairn::real {

class FrameQueue {
 public:
  static constexpr size_t kGatherFramesMax = 64;

  // Queues `m` framed with `meta`; returns its size on the wire.
  uint64_t push(const Message& m, const wire::FrameMeta& meta);

  bool empty() const { return out_.empty(); }
  // Bytes on the wire of every queued frame, those being written included.
  uint64_t bytes() const { return bytes_; }
  bool writing() const { return writing_ > 0; }

  // The buffers of the frames at the front, now being written.
  // REQUIRES: !empty() && !writing().
  const std::vector<asio::const_buffer>& start_write();
  // The frames of the last start_write() are on the wire: drops them.
  void written();
  // Drops everything (the connection is gone).
  void clear();

 private:
  struct Out {
    std::array<char, wire::kFrameHeaderSize> head;
    std::string header;
    Payload payload;
    uint64_t bytes = 0;
  };

  std::deque<Out> out_;  // the first writing_ are being written
  std::vector<asio::const_buffer> gather_;
  uint64_t bytes_ = 0;
  size_t writing_ = 0;
};

}  // namespace cairn::real
