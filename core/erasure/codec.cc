#include "core/erasure/codec.h"

#include <bitset>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace cairn::erasure {

absl::Status check_reconstruct_args(const Codec& codec, absl::Span<const uint8_t* const> shards,
                                    absl::Span<const int> lost, absl::Span<uint8_t* const> out) {
  const int n = codec.total_shards();
  CAIRN_ASSERT(n <= kMaxShards);
  if (static_cast<int>(shards.size()) != n) {
    return absl::InvalidArgumentError(
        absl::StrCat(codec.name(), ": expected ", n, " shard slots, got ", shards.size()));
  }
  if (out.size() != lost.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(codec.name(), ": ", lost.size(), " lost shards but ", out.size(), " outputs"));
  }
  std::bitset<kMaxShards> seen;
  for (int index : lost) {
    if (index < 0 || index >= n) {
      return absl::InvalidArgumentError(
          absl::StrCat(codec.name(), ": shard index ", index, " out of range"));
    }
    if (seen[index] || shards[index] != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(codec.name(), ": shard ", index,
                                                     " is listed twice or is present, not lost"));
    }
    seen[index] = true;
  }
  int present = 0;
  for (const uint8_t* shard : shards) present += shard != nullptr ? 1 : 0;
  if (present < codec.data_shards()) {
    return absl::DataLossError(absl::StrCat(codec.name(), ": only ", present, " shards present, ",
                                            codec.data_shards(), " needed"));
  }
  return absl::OkStatus();
}

}  // namespace cairn::erasure
