// What nodes send each other: a typed protobuf header plus an optional bulk payload.
//
// The payload travels beside the header so chunk bytes are never re-serialized. In
// simulation a payload may be virtual (a length only) so that terabyte-scale runs cost no
// memory; wire_size() is what the network is charged for either way.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace cairn {

using NodeId = uint32_t;
inline constexpr NodeId kNoNode = 0;  // node ids start at 1 ("n1")

// Registry of message types: core/wire/message_types.h.
using MessageType = uint16_t;

// Bytes of the fixed frame header every message carries on the wire (DESIGN.md).
inline constexpr uint64_t kFrameHeaderBytes = 32;

struct Payload {
  std::shared_ptr<const std::string> bytes;  // real bytes, shared rather than copied
  uint64_t virtual_bytes = 0;                // bytes that exist only as a length (sim)

  uint64_t size() const { return (bytes ? bytes->size() : 0) + virtual_bytes; }
  bool empty() const { return size() == 0; }
};

struct Message {
  MessageType type = 0;
  std::string header;  // a serialized protobuf message; its schema is fixed by `type`
  Payload payload;

  uint64_t wire_size() const { return kFrameHeaderBytes + header.size() + payload.size(); }
};

}  // namespace cairn
