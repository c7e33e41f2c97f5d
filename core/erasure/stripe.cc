#include "core/erasure/stripe.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/assert.h"
#include "core/wire/crc32c.h"

namespace cairn::erasure {
namespace {

// The intact shards of a stripe, one slot per index (nullptr where absent or corrupt).
struct Survivors {
  std::vector<const uint8_t*> slots;
  std::vector<int> corrupt;
  std::vector<int> missing;
};

absl::Status check_layout(const Codec& codec, const StripeLayout& layout) {
  if (layout != plan_stripe(codec, layout.chunk_bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("stripe layout does not match codec ", codec.name()));
  }
  return absl::OkStatus();
}

absl::StatusOr<Survivors> sort_survivors(const Codec& codec, const StripeLayout& layout,
                                         absl::Span<const Shard> received) {
  if (auto status = check_layout(codec, layout); !status.ok()) return status;
  const int n = codec.total_shards();
  Survivors out;
  out.slots.assign(static_cast<size_t>(n), nullptr);
  std::vector<bool> seen(static_cast<size_t>(n), false);
  for (const Shard& shard : received) {
    if (shard.index < 0 || shard.index >= n || seen[static_cast<size_t>(shard.index)]) {
      return absl::InvalidArgumentError(
          absl::StrCat("shard index ", shard.index, " out of range or repeated"));
    }
    seen[static_cast<size_t>(shard.index)] = true;
    if (shard.bytes.size() != layout.shard_bytes || shard_checksum(shard.bytes) != shard.crc32c) {
      out.corrupt.push_back(shard.index);
      continue;
    }
    // An empty vector's data() may be null, which would read as "absent": point elsewhere.
    static const uint8_t kEmptyShard = 0;
    out.slots[static_cast<size_t>(shard.index)] =
        shard.bytes.empty() ? &kEmptyShard : shard.bytes.data();
  }
  for (int i = 0; i < n; ++i) {
    if (!seen[static_cast<size_t>(i)]) out.missing.push_back(i);
  }
  std::sort(out.corrupt.begin(), out.corrupt.end());
  const int intact = n - static_cast<int>(out.corrupt.size() + out.missing.size());
  if (intact < codec.data_shards()) {
    return absl::DataLossError(absl::StrCat(
        codec.name(), ": ", intact, " intact shards, ", codec.data_shards(), " needed; corrupt [",
        absl::StrJoin(out.corrupt, ","), "] missing [", absl::StrJoin(out.missing, ","), "]"));
  }
  return out;
}

}  // namespace

StripeLayout plan_stripe(const Codec& codec, uint64_t chunk_bytes) {
  const uint64_t k = static_cast<uint64_t>(codec.data_shards());
  CAIRN_ASSERT(k >= 1);
  uint64_t shard = (chunk_bytes + k - 1) / k;
  shard = (shard + kShardAlignmentBytes - 1) / kShardAlignmentBytes * kShardAlignmentBytes;
  StripeLayout layout{codec.data_shards(), codec.parity_shards(), chunk_bytes, shard,
                      shard * k - chunk_bytes};
  CAIRN_ASSERT(layout.shard_bytes * k == chunk_bytes + layout.padding_bytes);
  return layout;
}

uint32_t shard_checksum(absl::Span<const uint8_t> bytes) {
  return wire::crc32c(bytes.data(), bytes.size());
}

EncodedStripe encode_stripe(const Codec& codec, absl::Span<const uint8_t> chunk) {
  EncodedStripe stripe{plan_stripe(codec, chunk.size()), {}};
  const size_t k = static_cast<size_t>(codec.data_shards());
  const size_t n = static_cast<size_t>(codec.total_shards());
  const size_t shard_bytes = stripe.layout.shard_bytes;
  stripe.shards.resize(n);
  std::vector<const uint8_t*> data(k);
  std::vector<uint8_t*> parity(n - k);
  for (size_t i = 0; i < n; ++i) {
    Shard& shard = stripe.shards[i];
    shard.index = static_cast<int>(i);
    if (i < k) {
      const size_t begin = std::min(chunk.size(), i * shard_bytes);
      const size_t len = std::min(chunk.size() - begin, shard_bytes);
      shard.bytes.assign(chunk.begin() + begin, chunk.begin() + begin + len);
      shard.bytes.resize(shard_bytes, 0);  // zeros are the recorded padding
      data[i] = shard.bytes.data();
    } else {
      shard.bytes.resize(shard_bytes);
      parity[i - k] = shard.bytes.data();
    }
  }
  codec.encode(data, parity, shard_bytes);
  for (Shard& shard : stripe.shards) shard.crc32c = shard_checksum(shard.bytes);
  return stripe;
}

absl::StatusOr<DecodedStripe> decode_stripe(const Codec& codec, const StripeLayout& layout,
                                            absl::Span<const Shard> received) {
  auto survivors = sort_survivors(codec, layout, received);
  if (!survivors.ok()) return survivors.status();
  const size_t k = static_cast<size_t>(codec.data_shards());
  const size_t shard_bytes = layout.shard_bytes;
  std::vector<int> lost;
  std::vector<std::vector<uint8_t>> rebuilt;
  std::vector<uint8_t*> out;
  for (size_t i = 0; i < k; ++i) {
    if (survivors->slots[i] == nullptr) lost.push_back(static_cast<int>(i));
  }
  rebuilt.resize(lost.size(), std::vector<uint8_t>(shard_bytes));
  for (auto& buffer : rebuilt) out.push_back(buffer.data());
  auto status = codec.reconstruct(survivors->slots, lost, out, shard_bytes);
  CAIRN_ASSERT(status.ok());  // sort_survivors already counted k intact shards.
  for (size_t i = 0; i < lost.size(); ++i) survivors->slots[lost[i]] = rebuilt[i].data();

  DecodedStripe decoded{{}, std::move(survivors->corrupt), std::move(survivors->missing)};
  decoded.chunk.resize(layout.chunk_bytes);
  for (size_t i = 0; i < k; ++i) {
    const size_t begin = std::min<size_t>(layout.chunk_bytes, i * shard_bytes);
    const size_t len = std::min<size_t>(layout.chunk_bytes - begin, shard_bytes);
    if (len > 0) std::memcpy(decoded.chunk.data() + begin, survivors->slots[i], len);
  }
  return decoded;
}

absl::StatusOr<std::vector<Shard>> rebuild_shards(const Codec& codec, const StripeLayout& layout,
                                                  absl::Span<const Shard> received,
                                                  absl::Span<const int> wanted) {
  auto survivors = sort_survivors(codec, layout, received);
  if (!survivors.ok()) return survivors.status();
  // A wanted shard that arrived intact is rebuilt anyway: the caller asked for fresh bytes.
  for (int index : wanted) {
    if (index >= 0 && index < codec.total_shards()) survivors->slots[index] = nullptr;
  }
  std::vector<Shard> shards(wanted.size());
  std::vector<uint8_t*> out;
  for (size_t i = 0; i < wanted.size(); ++i) {
    shards[i].index = wanted[i];
    shards[i].bytes.resize(layout.shard_bytes);
    out.push_back(shards[i].bytes.data());
  }
  auto status = codec.reconstruct(survivors->slots, wanted, out, layout.shard_bytes);
  if (!status.ok()) return status;
  for (Shard& shard : shards) shard.crc32c = shard_checksum(shard.bytes);
  return shards;
}

}  // namespace cairn::erasure
