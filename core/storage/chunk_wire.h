// Conversions between the chunk protocol's messages (chunk.proto) and the coordinator's
// types (statuses: status_wire.h; digests: storage_codec.h), with validation: every decoder refuses
// a malformed message with InvalidArgument naming the field, so a coordinator never acts on
// half-understood input.
#pragma once

#include "absl/status/statusor.h"
#include "core/storage/chunk.pb.h"
#include "core/storage/chunk_layout.h"
#include "core/storage/coordinator.h"

namespace cairn::storage {

wire::Layout to_wire(const ChunkLayout& layout);
absl::StatusOr<ChunkLayout> from_wire(const wire::Layout& layout);

// A put's storage choice.
absl::StatusOr<WriteOptions> write_options_from_wire(const wire::PutChunk& put);
wire::PutChunk put_to_wire(const cas::Digest& digest, const WriteOptions& options);

}  // namespace cairn::storage
