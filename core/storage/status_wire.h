// Statuses on the wire: an absl::Status travels as storage::wire::Status {code, message}
// with absl::StatusCode's number carried unchanged, so a client sees exactly the status a
// node's store produced (NotFound, OutOfRange, DataLoss, ResourceExhausted, Unavailable,
// InvalidArgument, FailedPrecondition, ...). Shared by every protocol that answers with a
// status (the shard protocol, a coordinator's chunk protocol).
//
// Promises:
//   - from_wire(to_wire(s)) == s for every canonical code, message included (a message
//     longer than kMaxStatusMessageBytes is cut there);
//   - a code that is not one of absl's canonical numbers (1..16) becomes Unknown, its
//     message saying which number arrived; code 0 is OK whatever message it carries.
// Depends only on the generated storage.pb.h and Abseil (the fuzz target links it alone).
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "core/storage/storage.pb.h"

namespace cairn::storage {

inline constexpr size_t kMaxStatusMessageBytes = 1024;

void to_wire(const absl::Status& status, wire::Status* out);
wire::Status to_wire(const absl::Status& status);
absl::Status from_wire(const wire::Status& status);

}  // namespace cairn::storage
