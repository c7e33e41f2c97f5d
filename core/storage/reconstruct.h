// Rebuilding a stripe's missing shards from the ones at hand: the one place where the read
// path (coordinator_read.cc) and shard repair (rebuild.cc) call the codec's reconstruct().
//
// Promises: out[i] is shard lost[i], `len` bytes (a byte range of each shard when the
// present pointers are ranges of the same offset); DataLoss from the codec when fewer than
// k shards are present, InvalidArgument for a bad `lost`; nothing else is touched.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/erasure/codec.h"

namespace cairn::storage {

// `present` has one entry per shard index; nullptr marks a shard not at hand.
absl::StatusOr<std::vector<std::string>> reconstruct_shards(
    const erasure::Codec& codec, absl::Span<const uint8_t* const> present,
    absl::Span<const int> lost, size_t len);

}  // namespace cairn::storage
