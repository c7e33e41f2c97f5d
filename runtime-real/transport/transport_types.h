// Message types the real runtime's transports use among themselves (0xFFxx). They are
// consumed by the transports and never delivered to core services.
#pragma once

#include "core/runtime/message.h"
#include "core/wire/message_types.h"

namespace cairn::real {

inline constexpr MessageType kTransportHello = 0xFF01;
inline constexpr MessageType kShmOffer = 0xFF02;
inline constexpr MessageType kShmAnswer = 0xFF03;

inline bool is_transport_control(MessageType type) { return type >= wire::kTransportControlFirst; }

}  // namespace cairn::real
