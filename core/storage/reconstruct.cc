#include "core/storage/reconstruct.h"

namespace cairn::storage {

absl::StatusOr<std::vector<std::string>> reconstruct_shards(
    const erasure::Codec& codec, absl::Span<const uint8_t* const> present,
    absl::Span<const int> lost, size_t len) {
  std::vector<std::string> rebuilt(lost.size(), std::string(len, '\0'));
  if (lost.empty()) return rebuilt;
  std::vector<uint8_t*> outs;
  outs.reserve(rebuilt.size());
  for (auto& b : rebuilt) outs.push_back(reinterpret_cast<uint8_t*>(b.data()));
  if (auto st = codec.reconstruct(present, lost, outs, len); !st.ok()) return st;
  return rebuilt;
}

}  // namespace cairn::storage
