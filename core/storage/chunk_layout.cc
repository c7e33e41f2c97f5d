#include "core/storage/chunk_layout.h"

#include "absl/strings/str_cat.h"
#include "core/erasure/codec.h"
#include "core/erasure/stripe.h"

namespace cairn::storage {

const char* mode_name(StorageMode mode) {
  return mode == StorageMode::kReplicated ? "replicated" : "erasure";
}

std::string ChunkLayout::code_name() const {
  if (mode == StorageMode::kReplicated) return absl::StrCat("rep(", total_shards(), ")");
  return absl::StrCat("rs(", data_shards, ",", parity_shards, ")");
}

cas::Digest virtual_shard_digest(const cas::Digest& chunk, int index, uint64_t shard_bytes) {
  const std::string name = absl::StrCat(chunk.format(), "#", index);
  const cas::Digest d = cas::Digest::of(std::string_view(name));
  return cas::Digest(d.hash(), shard_bytes);
}

uint64_t erasure_shard_bytes(int data_shards, uint64_t chunk_bytes) {
  const auto k = static_cast<uint64_t>(data_shards);
  const uint64_t a = erasure::kShardAlignmentBytes;
  return ((chunk_bytes + k - 1) / k + a - 1) / a * a;
}

absl::Status validate(const ChunkLayout& l) {
  auto bad = [&](auto&&... why) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunk layout ", l.chunk.format(), ": ", why...));
  };
  if (l.data_shards < 1 || l.parity_shards < 0 ||
      l.data_shards + l.parity_shards > erasure::kMaxShards) {
    return bad("k = ", l.data_shards, ", m = ", l.parity_shards,
               " (need 1 <= k, 0 <= m, k + m <= ", erasure::kMaxShards, ")");
  }
  if (l.shards.size() != static_cast<size_t>(l.total_shards() * l.copies())) {
    return bad(l.shards.size(), " places listed for ", l.code_name(),
               l.mirrored ? " mirrored" : "");
  }
  const uint64_t size = l.chunk.size_bytes();
  if (l.mode == StorageMode::kReplicated) {
    if (l.data_shards != 1) return bad("a replicated chunk has k = 1");
    if (l.shard_bytes != size) return bad("replicas of ", size, " bytes listed as ", l.shard_bytes);
  } else if (l.shard_bytes != erasure_shard_bytes(l.data_shards, size)) {
    return bad("shard size ", l.shard_bytes, " does not fit ", l.code_name(), " of ", size,
               " bytes");
  }
  for (size_t i = 0; i < l.shards.size(); ++i) {
    if (l.shards[i].digest.size_bytes() != l.shard_bytes) {
      return bad("shard ", i, " is ", l.shards[i].digest.size_bytes(), " bytes, not ",
                 l.shard_bytes);
    }
    if (l.shards[i].node == kNoNode) return bad("shard ", i, " has no node");
    if (l.mirrored && i % 2 == 1) {
      if (l.shards[i].digest != l.shards[i - 1].digest) {
        return bad("the copies of shard ", i / 2, " have different digests");
      }
      if (l.shards[i].node == l.shards[i - 1].node) {
        return bad("both copies of shard ", i / 2, " on n", l.shards[i].node);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace cairn::storage
