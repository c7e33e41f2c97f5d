// The frame: how a Message travels over a byte stream (TCP, or a shared-memory ring).
//
// A frame is a fixed 32-byte little-endian header, then the Message's protobuf header
// (`header_bytes` long), then its raw payload (`payload_bytes` long):
//
//   offset size field
//        0    4 magic          "CARN" (0x4E524143 read as little-endian uint32)
//        4    1 version        kFrameVersion (1); any other value is refused
//        5    1 flags          bit 0 kFlagPayloadUnchecked; other bits must be zero
//        6    2 type           MessageType (core/wire/message_types.h)
//        8    4 header_bytes   length of the protobuf header that follows
//       12    4 payload_bytes  length of the raw payload after it
//       16    4 sequence       per-connection frame counter (wraps at 2^32)
//       20    8 timestamp_us   sender's clock when encoded, microseconds
//       28    4 crc32c         CRC32C of bytes [0, 28) ++ protobuf header ++ payload
//                              (++ payload left out when kFlagPayloadUnchecked is set)
//
// Lengths are checked against FrameLimits as soon as the 32 bytes are in, so a corrupt
// length never makes a receiver allocate or wait for gigabytes. The decoder is
// incremental and pull-based: it says where the next bytes go (want()) and never asks
// for more than the current frame still needs, so it never reads past a frame's end and
// payload bytes land directly in their final string; the CRC runs over each piece as it
// lands, while it is still in cache. Every error is sticky and names
// its kind; after one, the stream is unusable and the connection must be closed.
//
// Payload buffers: a payload string is never zero-filled before the bytes arrive when
// they come through absorb() (or feed()): it is reserved and appended to. want() must
// hand out writable memory, so it sizes the string (zero-filling what is new). The
// decoder keeps references to the payloads it produced (a BufferPool,
// core/runtime/buffer_pool.h, of a few buffers); once a receiver has dropped every other
// reference to one, that string is reused for a later payload, so a stream of same-sized
// frames allocates and zero-fills nothing, even when several payloads are held at once
// (chunk answers pipelined to a client that hashes and copies each on another thread).
// Several decoders on one thread may share one pool (a client's links to several nodes):
// its bounds then hold for them together, and can be sized for payloads of a whole
// 64 MiB chunk, which the default pool of each decoder never keeps.
// A fresh large buffer is freshly mapped memory, each 4 KiB page of it faulting on first
// touch. Receivers must therefore not keep pointers into a payload without holding the
// Payload (or its owner; no weak_ptrs).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "core/runtime/buffer_pool.h"
#include "core/runtime/message.h"

namespace cairn::wire {

inline constexpr uint32_t kFrameMagic = 0x4E524143u;  // "CARN"
inline constexpr uint8_t kFrameVersion = 1;
inline constexpr size_t kFrameHeaderSize = 32;
static_assert(kFrameHeaderSize == kFrameHeaderBytes);
// The payload is not covered by the CRC: for transports whose bytes never leave the
// host's memory (the shared-memory ring), where checksumming 1 MiB payloads costs more
// than it protects.
inline constexpr uint8_t kFlagPayloadUnchecked = 0x01;
inline constexpr uint8_t kKnownFlags = kFlagPayloadUnchecked;

struct FrameLimits {
  // 4 MiB of protobuf header: room for a Raft append carrying one key-value command at its
  // limits (core/kv/kv_limits.h) or a batch of max_bytes_per_append.
  uint32_t max_header_bytes = 4u << 20;
  uint32_t max_payload_bytes = 64u << 20;  // 64 MiB of payload
};

// Per-frame fields that are not part of the Message.
struct FrameMeta {
  uint32_t sequence = 0;
  uint64_t timestamp_us = 0;
  uint8_t flags = 0;
};

struct Frame {
  FrameMeta meta;
  Message message;
};

enum class FrameError {
  kNone,
  kBadMagic,
  kUnknownVersion,
  kUnknownFlags,
  kLengthOverLimit,
  kCrcMismatch,
  kTruncated,
};
std::string_view frame_error_name(FrameError error);

// The fixed header's fields, as parse_frame_header() read and checked them.
struct FrameHeader {
  MessageType type = 0;
  uint32_t header_bytes = 0;
  uint32_t payload_bytes = 0;
  uint32_t crc32c = 0;
  FrameMeta meta;
  uint64_t frame_bytes() const { return kFrameHeaderSize + header_bytes + payload_bytes; }
};

// Reads and checks the kFrameHeaderSize bytes at `h` (magic, version, flags, lengths
// against `limits`). Returns kNone, or the header's fault with the reason in *why.
FrameError parse_frame_header(const char* h, const FrameLimits& limits, FrameHeader* out,
                              std::string* why);

// Decodes one whole frame lying in memory without copying its payload: `frame` holds
// exactly the frame (`fh.frame_bytes()` bytes, header parsed into `fh`), and the payload of
// *out aliases it, kept alive by `owner`; the protobuf header is copied. Returns kNone, or
// kCrcMismatch with the reason in *why.
FrameError decode_frame_in_place(std::span<const char> frame, const FrameHeader& fh,
                                 std::shared_ptr<const void> owner, Frame* out, std::string* why);

// The status a receiver reports for a frame fault: DataLoss for a CRC mismatch or a
// truncated stream, InvalidArgument for the rest.
absl::Status frame_status(FrameError error, std::string_view why);

// InvalidArgument if `message` cannot be framed: virtual payload bytes (they exist only in
// simulation) or lengths over `limits`.
absl::Status check_frameable(const Message& message, const FrameLimits& limits);

// The 32-byte header for `message`, CRC included. REQUIRES: check_frameable() is OK.
// Send it followed by message.header and the payload bytes (scatter-gather: no copy).
std::array<char, kFrameHeaderSize> encode_frame_header(const Message& message,
                                                       const FrameMeta& meta);
// The header of a frame whose payload (`payload_bytes` long) is left out of the CRC
// (kFlagPayloadUnchecked is set), so it can be written before the payload exists: for a
// payload built in place, in a shared-memory ring.
std::array<char, kFrameHeaderSize> encode_frame_header_unchecked(MessageType type,
                                                                 std::string_view header,
                                                                 size_t payload_bytes,
                                                                 FrameMeta meta);
// The whole frame in one string (tests, tools; transports gather the three pieces).
std::string encode_frame(const Message& message, const FrameMeta& meta);

class FrameDecoder {
 public:
  // Payload buffers come from `buffers` (shared with other decoders of the same thread),
  // or, when it is null, from a small pool of this decoder's own.
  explicit FrameDecoder(FrameLimits limits = {}, std::shared_ptr<BufferPool> buffers = nullptr)
      : limits_(limits),
        buffers_(buffers != nullptr
                     ? std::move(buffers)
                     : std::make_shared<BufferPool>(kReuseBytesMax, kReuseBuffersMax)) {}

  // Payloads of at least kZeroTailFrom bytes get kZeroTailBytes of zeros after them in
  // the same buffer, declared on the Payload (Payload::zero_tail): enough for the padded
  // last shard of any erasure code (k * 64 bytes at most) to be read in place.
  static constexpr size_t kZeroTailFrom = 1u << 20;
  static constexpr uint16_t kZeroTailBytes = 2048;

  // Where the next bytes must be written. Empty while a decoded frame waits in take() or
  // after an error. Never longer than what the current frame still needs.
  std::span<char> want();
  // `n` bytes were written at want().data(). REQUIRES: n <= want().size().
  // Returns the (sticky) error if the frame turned out bad.
  absl::Status commit(size_t n);
  // Copies from [data, data + size) no more than the current frame still needs and
  // returns how many bytes it took (0 while a frame waits in take() or after an error;
  // check status()). Equivalent to want() + memcpy + commit() but never zero-fills.
  size_t absorb(const char* data, size_t size);

  bool has_frame() const { return ready_; }
  // REQUIRES: has_frame().
  Frame take();

  // Copies from [data, data + size), decoding every complete frame into `out`. Stops at
  // the first error and returns it (frames decoded before it are in `out`).
  absl::Status feed(const char* data, size_t size, std::vector<Frame>* out);
  // At end of stream: OK between frames, kTruncated in the middle of one.
  absl::Status finish();

  FrameError error() const { return error_; }
  const absl::Status& status() const { return status_; }
  // True when some bytes of a frame have arrived but not the whole of it.
  bool mid_frame() const { return header_got_ > 0 || in_body_; }
  uint64_t frames_decoded() const { return frames_decoded_; }

 private:
  absl::Status fail(FrameError error, std::string message);
  absl::Status parse_header();
  absl::Status finish_body();
  size_t payload_got() const { return body_got_ - frame_.message.header.size(); }
  // Bytes the current part (frame header, protobuf header or payload) still needs.
  size_t remaining() const;
  // Makes payload_ an empty-or-reused string ready for payload_expected_ bytes.
  void start_payload();

  // Payload buffers a decoder's own pool keeps for reuse: at most this many, of this much
  // capacity in all, so an idle decoder holds little (enough for four answers of a 4 MiB
  // chunk).
  static constexpr size_t kReuseBuffersMax = 8;
  static constexpr uint64_t kReuseBytesMax = 4 * ((4u << 20) + kZeroTailBytes);
  size_t zero_tail() const { return payload_expected_ >= kZeroTailFrom ? kZeroTailBytes : 0; }

  FrameLimits limits_;
  std::array<char, kFrameHeaderSize> header_buf_{};
  size_t header_got_ = 0;
  bool in_body_ = false;
  size_t body_got_ = 0;  // bytes of protobuf header + payload received so far
  uint32_t expected_crc_ = 0;
  uint32_t running_crc_ = 0;  // over the current frame's bytes so far
  Frame frame_;
  bool ready_ = false;
  // The current frame's payload: size() is either the bytes received so far (appended
  // by absorb) or payload_expected_ (sized by want()). Null before the first byte.
  std::shared_ptr<std::string> payload_;
  uint32_t payload_expected_ = 0;
  // Payloads handed out, each reused once nobody else holds it. Never null.
  std::shared_ptr<BufferPool> buffers_;
  FrameError error_ = FrameError::kNone;
  absl::Status status_;
  uint64_t frames_decoded_ = 0;
};

}  // namespace cairn::wire
