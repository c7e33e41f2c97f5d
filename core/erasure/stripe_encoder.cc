#include "core/erasure/stripe_encoder.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

#include "core/base/assert.h"

namespace cairn::erasure {
namespace {

// Columns coded per Codec::encode call when some data shard is padded: the padded shard is
// filled one block at a time just before the block is coded, so its bytes are read from
// memory once and reach the coder from cache. A multiple of kShardAlignmentBytes.
constexpr size_t kBlockBytes = 64 * 1024;
static_assert(kBlockBytes % kShardAlignmentBytes == 0);

// A data shard that reaches past the chunk's end: `source` holds the shard's `present`
// bytes of the chunk, `dest` the pooled buffer that gets them plus zeros.
struct PaddedShard {
  const uint8_t* source = nullptr;
  size_t present = 0;
  uint8_t* dest = nullptr;
};

// Writes columns [begin, end) of a padded shard: chunk bytes where it has them, zeros after.
void fill_columns(const PaddedShard& shard, size_t begin, size_t end) {
  const size_t copy_end = std::clamp(shard.present, begin, end);
  if (copy_end > begin) std::memcpy(shard.dest + begin, shard.source + begin, copy_end - begin);
  if (end > copy_end) std::memset(shard.dest + copy_end, 0, end - copy_end);
}

Payload shard_payload(std::shared_ptr<const void> owner, const uint8_t* bytes, size_t len) {
  return Payload::alias(std::move(owner),
                        std::string_view(reinterpret_cast<const char*>(bytes), len));
}

}  // namespace

StripeEncoder::StripeEncoder(const Codec& codec, size_t max_pooled_buffers)
    : codec_(codec), pool_(BufferPool::create(max_pooled_buffers)) {}

EncodedChunk StripeEncoder::encode(const Payload& chunk) {
  EncodedChunk out{plan_stripe(codec_, chunk.size()), {}};
  const size_t k = static_cast<size_t>(codec_.data_shards());
  const size_t m = static_cast<size_t>(codec_.parity_shards());
  const size_t shard_bytes = out.layout.shard_bytes;
  CAIRN_ASSERT(k + m <= static_cast<size_t>(kMaxShards));
  out.shards.reserve(k + m);
  if (chunk.virtual_bytes > 0 || shard_bytes == 0) {
    Payload shard;
    shard.virtual_bytes = chunk.virtual_bytes > 0 ? shard_bytes : 0;
    out.shards.assign(k + m, shard);
    return out;
  }

  const auto* bytes = reinterpret_cast<const uint8_t*>(chunk.data());
  const size_t chunk_bytes = chunk.view().size();
  std::array<const uint8_t*, kMaxShards> data{};
  std::array<uint8_t*, kMaxShards> parity{};
  std::array<PaddedShard, kMaxShards> padded{};
  size_t padded_count = 0;
  for (size_t i = 0; i < k; ++i) {
    const size_t begin = std::min(chunk_bytes, i * shard_bytes);
    const size_t present = std::min(chunk_bytes - begin, shard_bytes);
    if (present == shard_bytes) {
      data[i] = bytes + begin;
      out.shards.push_back(shard_payload(chunk.owner(), data[i], shard_bytes));
      continue;
    }
    std::shared_ptr<uint8_t> buffer = pool_->acquire(shard_bytes);
    padded[padded_count++] = {bytes + begin, present, buffer.get()};
    data[i] = buffer.get();
    out.shards.push_back(shard_payload(std::move(buffer), data[i], shard_bytes));
  }

  if (codec_.parity_copies_data()) {
    // Replication: every parity shard is shard 0 byte for byte, so it shares shard 0.
    CAIRN_ASSERT(k == 1);
    for (size_t p = 0; p < padded_count; ++p) fill_columns(padded[p], 0, shard_bytes);
    out.shards.resize(k + m, out.shards[0]);
    return out;
  }

  for (size_t j = 0; j < m; ++j) {
    std::shared_ptr<uint8_t> buffer = pool_->acquire(shard_bytes);
    parity[j] = buffer.get();
    out.shards.push_back(shard_payload(std::move(buffer), parity[j], shard_bytes));
  }
  const size_t block = padded_count == 0 ? shard_bytes : kBlockBytes;
  std::array<const uint8_t*, kMaxShards> data_at{};
  std::array<uint8_t*, kMaxShards> parity_at{};
  for (size_t begin = 0; begin < shard_bytes; begin += block) {
    const size_t end = std::min(shard_bytes, begin + block);
    for (size_t p = 0; p < padded_count; ++p) fill_columns(padded[p], begin, end);
    for (size_t i = 0; i < k; ++i) data_at[i] = data[i] + begin;
    for (size_t j = 0; j < m; ++j) parity_at[j] = parity[j] + begin;
    codec_.encode(absl::MakeConstSpan(data_at.data(), k), absl::MakeSpan(parity_at.data(), m),
                  end - begin);
  }
  CAIRN_ASSERT(out.shards.size() == k + m);
  return out;
}

}  // namespace cairn::erasure
