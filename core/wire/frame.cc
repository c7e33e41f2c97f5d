#include "core/wire/frame.h"

#include <cstring>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/assert.h"
#include "core/wire/crc32c.h"

namespace cairn::wire {
namespace {

constexpr size_t kCrcOffset = 28;

void put_u16(char* p, uint16_t v) {
  for (int i = 0; i < 2; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
void put_u32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
void put_u64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
uint64_t get_le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// What the header's crc32c field must read for a frame with these contents.
uint32_t frame_crc(const char* h, std::string_view header, std::string_view payload,
                   uint8_t flags) {
  uint32_t crc = crc32c(h, kCrcOffset);
  crc = crc32c(header.data(), header.size(), crc);
  if ((flags & kFlagPayloadUnchecked) == 0) crc = crc32c(payload.data(), payload.size(), crc);
  return crc;
}

// frame_crc() for a frame being sent: a payload that knows its CRC is not read again.
uint32_t frame_crc_to_send(const char* h, const Message& message, uint8_t flags) {
  const std::string_view payload = message.payload.view();
  if ((flags & kFlagPayloadUnchecked) != 0 || !message.payload.has_crc32c() || payload.empty()) {
    return frame_crc(h, message.header, payload, flags);
  }
  const uint32_t crc = crc32c(message.header.data(), message.header.size(), crc32c(h, kCrcOffset));
  return crc32c_combine(crc, message.payload.crc32c(), payload.size());
}

}  // namespace

std::string_view frame_error_name(FrameError error) {
  switch (error) {
    case FrameError::kNone:
      return "none";
    case FrameError::kBadMagic:
      return "bad magic";
    case FrameError::kUnknownVersion:
      return "unknown version";
    case FrameError::kUnknownFlags:
      return "unknown flags";
    case FrameError::kLengthOverLimit:
      return "length over limit";
    case FrameError::kCrcMismatch:
      return "crc mismatch";
    case FrameError::kTruncated:
      return "truncated";
  }
  return "unknown";
}

absl::Status check_frameable(const Message& message, const FrameLimits& limits) {
  if (message.payload.virtual_bytes != 0) {
    return absl::InvalidArgumentError("a virtual payload cannot be sent over a real transport");
  }
  if (message.header.size() > limits.max_header_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("protobuf header of ", message.header.size(), " bytes is over the limit"));
  }
  if (message.payload.view().size() > limits.max_payload_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("payload of ", message.payload.view().size(), " bytes is over the limit"));
  }
  return absl::OkStatus();
}

namespace {

// The header's fields other than the CRC.
std::array<char, kFrameHeaderSize> frame_header_fields(MessageType type, size_t header_bytes,
                                                       size_t payload_bytes,
                                                       const FrameMeta& meta) {
  CAIRN_ASSERT(header_bytes <= UINT32_MAX && payload_bytes <= UINT32_MAX);
  CAIRN_ASSERT((meta.flags & ~kKnownFlags) == 0);
  std::array<char, kFrameHeaderSize> h{};
  put_u32(&h[0], kFrameMagic);
  h[4] = static_cast<char>(kFrameVersion);
  h[5] = static_cast<char>(meta.flags);
  put_u16(&h[6], type);
  put_u32(&h[8], static_cast<uint32_t>(header_bytes));
  put_u32(&h[12], static_cast<uint32_t>(payload_bytes));
  put_u32(&h[16], meta.sequence);
  put_u64(&h[20], meta.timestamp_us);
  return h;
}

}  // namespace

std::array<char, kFrameHeaderSize> encode_frame_header(const Message& message,
                                                       const FrameMeta& meta) {
  CAIRN_ASSERT(message.payload.virtual_bytes == 0);
  auto h =
      frame_header_fields(message.type, message.header.size(), message.payload.view().size(), meta);
  put_u32(&h[kCrcOffset], frame_crc_to_send(h.data(), message, meta.flags));
  return h;
}

std::array<char, kFrameHeaderSize> encode_frame_header_unchecked(MessageType type,
                                                                 std::string_view header,
                                                                 size_t payload_bytes,
                                                                 FrameMeta meta) {
  meta.flags |= kFlagPayloadUnchecked;
  auto h = frame_header_fields(type, header.size(), payload_bytes, meta);
  put_u32(&h[kCrcOffset], frame_crc(h.data(), header, {}, meta.flags));
  return h;
}

std::string encode_frame(const Message& message, const FrameMeta& meta) {
  const auto h = encode_frame_header(message, meta);
  std::string out(h.data(), h.size());
  out += message.header;
  out += message.payload.view();
  return out;
}

absl::Status frame_status(FrameError error, std::string_view why) {
  CAIRN_ASSERT(error != FrameError::kNone);
  const std::string text = absl::StrCat(std::string(frame_error_name(error)), ": ",
                                        absl::string_view(why.data(), why.size()));
  return (error == FrameError::kCrcMismatch || error == FrameError::kTruncated)
             ? absl::DataLossError(text)
             : absl::InvalidArgumentError(text);
}

FrameError parse_frame_header(const char* h, const FrameLimits& limits, FrameHeader* out,
                              std::string* why) {
  CAIRN_ASSERT(out != nullptr && why != nullptr);
  const auto magic = static_cast<uint32_t>(get_le(h, 4));
  if (magic != kFrameMagic) {
    *why = absl::StrFormat("0x%08x", magic);
    return FrameError::kBadMagic;
  }
  const auto version = static_cast<uint8_t>(h[4]);
  if (version != kFrameVersion) {
    *why = absl::StrCat("version ", version);
    return FrameError::kUnknownVersion;
  }
  const auto flags = static_cast<uint8_t>(h[5]);
  if ((flags & ~kKnownFlags) != 0) {
    *why = absl::StrFormat("flags 0x%02x", flags);
    return FrameError::kUnknownFlags;
  }
  FrameHeader fh;
  fh.type = static_cast<MessageType>(get_le(h + 6, 2));
  fh.header_bytes = static_cast<uint32_t>(get_le(h + 8, 4));
  fh.payload_bytes = static_cast<uint32_t>(get_le(h + 12, 4));
  fh.meta = FrameMeta{static_cast<uint32_t>(get_le(h + 16, 4)), get_le(h + 20, 8), flags};
  fh.crc32c = static_cast<uint32_t>(get_le(h + kCrcOffset, 4));
  if (fh.header_bytes > limits.max_header_bytes) {
    *why = absl::StrCat("protobuf header of ", fh.header_bytes, " bytes, limit ",
                        limits.max_header_bytes);
    return FrameError::kLengthOverLimit;
  }
  if (fh.payload_bytes > limits.max_payload_bytes) {
    *why =
        absl::StrCat("payload of ", fh.payload_bytes, " bytes, limit ", limits.max_payload_bytes);
    return FrameError::kLengthOverLimit;
  }
  *out = fh;
  return FrameError::kNone;
}

FrameError decode_frame_in_place(std::span<const char> frame, const FrameHeader& fh,
                                 std::shared_ptr<const void> owner, Frame* out, std::string* why) {
  CAIRN_ASSERT(frame.size() == fh.frame_bytes());
  CAIRN_ASSERT(out != nullptr && why != nullptr);
  const std::string_view header(frame.data() + kFrameHeaderSize, fh.header_bytes);
  const std::string_view payload(header.data() + header.size(), fh.payload_bytes);
  const uint32_t crc = frame_crc(frame.data(), header, payload, fh.meta.flags);
  if (crc != fh.crc32c) {
    *why = absl::StrFormat("computed 0x%08x, frame says 0x%08x", crc, fh.crc32c);
    return FrameError::kCrcMismatch;
  }
  out->meta = fh.meta;
  out->message.type = fh.type;
  out->message.header.assign(header);
  out->message.payload = payload.empty() ? Payload() : Payload::alias(std::move(owner), payload);
  return FrameError::kNone;
}

absl::Status FrameDecoder::fail(FrameError error, std::string message) {
  error_ = error;
  status_ = frame_status(error, message);
  return status_;
}

size_t FrameDecoder::remaining() const {
  if (error_ != FrameError::kNone || ready_) return 0;
  if (!in_body_) return kFrameHeaderSize - header_got_;
  const size_t pb = frame_.message.header.size();
  if (body_got_ < pb) return pb - body_got_;
  return payload_expected_ - payload_got();
}

std::span<char> FrameDecoder::want() {
  const size_t n = remaining();
  if (n == 0) return {};
  if (!in_body_) return {header_buf_.data() + header_got_, n};
  std::string& pb = frame_.message.header;
  if (body_got_ < pb.size()) return {pb.data() + body_got_, n};
  if (!payload_) start_payload();
  // Writable memory must be part of the string: size it (zero-fills only what is new),
  // with room for the zero tail so that adding it later moves nothing.
  if (payload_->size() != payload_expected_) {
    payload_->reserve(payload_expected_ + zero_tail());
    payload_->resize(payload_expected_);
  }
  return {payload_->data() + payload_got(), n};
}

absl::Status FrameDecoder::commit(size_t n) {
  CAIRN_ASSERT(n <= remaining());
  if (n == 0) return status_;
  if (!in_body_) {
    header_got_ += n;
    if (header_got_ < kFrameHeaderSize) return absl::OkStatus();
    return parse_header();
  }
  // The CRC runs over each piece as it lands, while it is still in cache.
  const std::string& pb = frame_.message.header;
  if (body_got_ < pb.size()) {
    running_crc_ = crc32c(pb.data() + body_got_, n, running_crc_);
  } else if ((frame_.meta.flags & kFlagPayloadUnchecked) == 0) {
    running_crc_ = crc32c(payload_->data() + payload_got(), n, running_crc_);
  }
  body_got_ += n;
  if (body_got_ < pb.size() + payload_expected_) return absl::OkStatus();
  return finish_body();
}

void FrameDecoder::start_payload() {
  CAIRN_ASSERT(!payload_ && payload_expected_ > 0);
  payload_ = buffers_->take(payload_expected_ + zero_tail());
  // A reused string at least this long is cut to length now (shrinking zero-fills
  // nothing): absorb() and want() then write into it in place. Left longer or shorter, the
  // first bytes absorbed (a stream reader's staged read) would shrink it and the next
  // want() zero-fill the rest of the payload just before the socket overwrites it.
  if (payload_->size() >= payload_expected_) payload_->resize(payload_expected_);
}

size_t FrameDecoder::absorb(const char* data, size_t size) {
  const size_t n = std::min(size, remaining());
  if (n == 0) return 0;
  if (!in_body_ || body_got_ < frame_.message.header.size()) {
    std::memcpy(want().data(), data, n);  // frame or protobuf header: small
  } else {
    if (!payload_) start_payload();
    std::string& p = *payload_;
    const size_t got = payload_got();
    if (p.size() == payload_expected_) {
      std::memcpy(p.data() + got, data, n);  // sized earlier by want(), or reused as is
    } else {
      if (got == 0) {
        p.clear();  // keeps a reused string's capacity
        p.reserve(payload_expected_ + zero_tail());
      }
      CAIRN_ASSERT(p.size() == got);
      p.append(data, n);
    }
  }
  (void)commit(n);  // an error is sticky: status() reports it
  return n;
}

absl::Status FrameDecoder::parse_header() {
  FrameHeader fh;
  std::string why;
  const FrameError error = parse_frame_header(header_buf_.data(), limits_, &fh, &why);
  if (error != FrameError::kNone) return fail(error, std::move(why));
  frame_ = Frame{};
  frame_.meta = fh.meta;
  frame_.message.type = fh.type;
  frame_.message.header.resize(fh.header_bytes);
  CAIRN_ASSERT(!payload_);
  payload_expected_ = fh.payload_bytes;  // its string is set up when the first byte arrives
  expected_crc_ = fh.crc32c;
  running_crc_ = crc32c(header_buf_.data(), kCrcOffset);
  in_body_ = true;
  body_got_ = 0;
  if (fh.header_bytes == 0 && fh.payload_bytes == 0) return finish_body();
  return absl::OkStatus();
}

absl::Status FrameDecoder::finish_body() {
  CAIRN_ASSERT(payload_expected_ == 0 || payload_->size() == payload_expected_);
  const uint32_t crc = running_crc_;
  if (crc != expected_crc_) {
    return fail(FrameError::kCrcMismatch,
                absl::StrFormat("computed 0x%08x, frame says 0x%08x", crc, expected_crc_));
  }
  if (payload_expected_ > 0) {
    const uint16_t tail = static_cast<uint16_t>(zero_tail());
    payload_->append(tail, '\0');  // into the capacity reserved for it
    std::shared_ptr<const std::string> owner = std::move(payload_);
    frame_.message.payload =
        Payload::alias(owner, std::string_view(owner->data(), payload_expected_))
            .with_zero_tail(tail);
  }
  payload_.reset();
  payload_expected_ = 0;
  in_body_ = false;
  header_got_ = 0;
  body_got_ = 0;
  ready_ = true;
  ++frames_decoded_;
  return absl::OkStatus();
}

Frame FrameDecoder::take() {
  CAIRN_ASSERT(ready_);
  ready_ = false;
  return std::exchange(frame_, Frame{});
}

absl::Status FrameDecoder::feed(const char* data, size_t size, std::vector<Frame>* out) {
  CAIRN_ASSERT(out != nullptr);
  size_t used = 0;
  while (error_ == FrameError::kNone) {
    if (ready_) out->push_back(take());
    if (used == size) break;
    const size_t n = absorb(data + used, size - used);
    CAIRN_ASSERT(n > 0 || error_ != FrameError::kNone);
    used += n;
  }
  return status_;
}

absl::Status FrameDecoder::finish() {
  if (error_ != FrameError::kNone) return status_;
  if (mid_frame()) {
    return fail(FrameError::kTruncated,
                in_body_ ? absl::StrCat("stream ended ", body_got_, " bytes into a frame's body")
                         : absl::StrCat("stream ended after ", header_got_, " header bytes"));
  }
  return absl::OkStatus();
}

}  // namespace cairn::wire
