#include "core/wire/message_types.h"

namespace cairn::wire {

std::string_view message_type_name(MessageType type) {
  switch (type) {
    case kHeartbeat:
      return "heartbeat";
    case kGossip:
      return "gossip";
    case kSyncRequest:
      return "sync_request";
    case kSyncResponse:
      return "sync_response";
    default:
      return "unknown";
  }
}

}  // namespace cairn::wire
