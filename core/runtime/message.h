// What nodes send each other: a typed protobuf header plus an optional bulk payload.
//
// The payload travels beside the header so chunk bytes are never re-serialized, and it may
// alias memory it does not own (a shared-memory transport delivers payloads that point
// into its ring; see Payload). In simulation a payload may be virtual (a length only) so
// that terabyte-scale runs cost no memory; wire_size() is what the network is charged for
// either way.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/base/assert.h"

namespace cairn {

using NodeId = uint32_t;
inline constexpr NodeId kNoNode = 0;  // node ids start at 1 ("n1")

// Registry of message types: core/wire/message_types.h.
using MessageType = uint16_t;

// Bytes of the fixed frame header every message carries on the wire (DESIGN.md).
inline constexpr uint64_t kFrameHeaderBytes = 32;

// Real bytes are a view (pointer, length) kept alive by an owner, so a payload can be a
// string of its own or alias memory that belongs to something else (a shared-memory
// ring's frame): copying a Payload copies the view and shares the owner, never the bytes.
// The bytes are immutable while any copy lives; when the last copy goes, the owner is
// released (possibly on another thread), which is how a ring learns it may reuse them.
class Payload {
 public:
  Payload() = default;
  // Owns `bytes` (moved into a shared string, not copied).
  explicit Payload(std::string bytes);
  // Shares `bytes` (may be null: no bytes).
  explicit Payload(std::shared_ptr<const std::string> bytes);
  // Bytes that belong to someone else, valid as long as `owner` lives.
  // REQUIRES: owner is not null when bytes is not empty.
  static Payload alias(std::shared_ptr<const void> owner, std::string_view bytes);

  // The real bytes (empty for a payload without bytes or a purely virtual one).
  std::string_view view() const { return {data_, size_}; }
  const char* data() const { return data_; }
  // Real plus virtual bytes: what the network is charged for.
  uint64_t size() const { return size_ + virtual_bytes; }
  bool empty() const { return size() == 0; }
  // What keeps the bytes alive (null without bytes).
  const std::shared_ptr<const void>& owner() const { return owner_; }

  // This payload, marked with the CRC32C of its real bytes (core/wire/crc32c.h) by whoever
  // computed it already (an erasure shard carries one): a frame encoder folds it into the
  // frame's CRC instead of reading every byte again. A wrong value is not trusted further
  // than the wire: the receiver reads every byte and refuses the frame.
  Payload with_crc32c(uint32_t crc) const {
    Payload p = *this;
    p.crc32c_ = crc;
    p.has_crc32c_ = true;
    return p;
  }
  bool has_crc32c() const { return has_crc32c_; }
  uint32_t crc32c() const { return crc32c_; }

  // This payload, declaring that the `n` bytes right after view() are zeros, kept alive by
  // the same owner and written by nobody: a reader may read that far past the end (an
  // erasure coder reads a chunk's zero-padded last shard in place instead of copying it).
  // Copies keep the declaration; alias() starts without one.
  Payload with_zero_tail(uint16_t n) const {
    Payload p = *this;
    p.zero_tail_ = n;
    return p;
  }
  uint16_t zero_tail() const { return zero_tail_; }

  uint64_t virtual_bytes = 0;  // bytes that exist only as a length (sim)

 private:
  std::shared_ptr<const void> owner_;
  const char* data_ = nullptr;
  size_t size_ = 0;
  uint32_t crc32c_ = 0;
  bool has_crc32c_ = false;
  uint16_t zero_tail_ = 0;  // fits beside the flag: a Payload stays 40 bytes
};

inline Payload::Payload(std::string bytes)
    : Payload(std::make_shared<const std::string>(std::move(bytes))) {}

inline Payload::Payload(std::shared_ptr<const std::string> bytes) {
  if (bytes == nullptr) return;
  data_ = bytes->data();
  size_ = bytes->size();
  owner_ = std::move(bytes);
}

inline Payload Payload::alias(std::shared_ptr<const void> owner, std::string_view bytes) {
  CAIRN_ASSERT(owner != nullptr || bytes.empty());
  Payload p;
  p.owner_ = std::move(owner);
  p.data_ = bytes.data();
  p.size_ = bytes.size();
  return p;
}

struct Message {
  MessageType type = 0;
  std::string header;  // a serialized protobuf message; its schema is fixed by `type`
  Payload payload;

  uint64_t wire_size() const { return kFrameHeaderBytes + header.size() + payload.size(); }
};

}  // namespace cairn
