// Stripes: a chunk of any size cut into k data shards, coded into k+m checksummed shards,
// and put back together from whatever shards come back.
//
// Promises: the layout records the padding (never inferred from the bytes); every shard
// carries a CRC32C of its bytes, checked before use, so a corrupt shard is treated as lost
// and reported by index; with fewer than k intact shards the answer is DataLoss, never
// wrong bytes.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/erasure/codec.h"

namespace cairn::erasure {

// Shard lengths are a multiple of this, so ISA-L's vector loops run without tails.
inline constexpr uint64_t kShardAlignmentBytes = 64;

struct StripeLayout {
  int data_shards = 0;
  int parity_shards = 0;
  uint64_t chunk_bytes = 0;    // the caller's bytes
  uint64_t shard_bytes = 0;    // every shard's length
  uint64_t padding_bytes = 0;  // zeros after the chunk in the last data shards

  friend bool operator==(const StripeLayout&, const StripeLayout&) = default;
};

// data_shards * shard_bytes == chunk_bytes + padding_bytes, always.
StripeLayout plan_stripe(const Codec& codec, uint64_t chunk_bytes);

struct Shard {
  int index = 0;  // 0..k-1 data, k..k+m-1 parity
  uint32_t crc32c = 0;
  std::vector<uint8_t> bytes;
};

// Castagnoli CRC (iSCSI polynomial) of `bytes`, as every shard records it.
uint32_t shard_checksum(absl::Span<const uint8_t> bytes);

struct EncodedStripe {
  StripeLayout layout;
  std::vector<Shard> shards;  // all k+m, in index order
};

EncodedStripe encode_stripe(const Codec& codec, absl::Span<const uint8_t> chunk);

struct DecodedStripe {
  std::vector<uint8_t> chunk;
  std::vector<int> corrupt;  // received but failed the checksum or length check
  std::vector<int> missing;  // not received at all
};

// `received` holds any subset of the shards, in any order. InvalidArgument if the layout
// does not match the codec or a shard index is repeated or out of range; DataLoss (naming
// the corrupt and missing shards) if fewer than k shards are intact.
absl::StatusOr<DecodedStripe> decode_stripe(const Codec& codec, const StripeLayout& layout,
                                            absl::Span<const Shard> received);

// Repair: rebuilds only the shards listed in `wanted` (with fresh checksums) from the
// intact shards among `received`. Same errors as decode_stripe.
absl::StatusOr<std::vector<Shard>> rebuild_shards(const Codec& codec, const StripeLayout& layout,
                                                  absl::Span<const Shard> received,
                                                  absl::Span<const int> wanted);

}  // namespace cairn::erasure
