// How large a key-value command may be, and the check that both ends apply.
//
// A command travels whole in one frame's protobuf header from the client to the leader, and
// whole inside one Raft append from the leader to each follower (core/wire/frame.h,
// FrameLimits::max_header_bytes). A command the frames could not carry would be refused by
// the transport at every retry: the client would wait out its deadline and a leader that had
// logged it could never replicate it. So the limits are checked before a command is sent and
// again before it is proposed, and leave room for a cas (key, expected and value) plus
// Raft's fields in one header.
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "core/kv/kv.pb.h"

namespace cairn::kv {

inline constexpr size_t kMaxKeyBytes = 4 << 10;    // 4 KiB
inline constexpr size_t kMaxValueBytes = 1 << 20;  // 1 MiB; a cas's expected value too

// InvalidArgument naming the field, its size and the limit if `command` is over one.
absl::Status check_limits(const wire::KvCommand& command);

}  // namespace cairn::kv
