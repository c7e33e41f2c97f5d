#include "core/client/chunker.h"

#include <array>
#include <bit>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace cairn::client {
namespace {

// 256 pseudo-random 64-bit words (splitmix64 from a fixed seed), one per byte value.
constexpr std::array<uint64_t, 256> make_gear_table() {
  std::array<uint64_t, 256> table{};
  uint64_t state = 0x6361697266736364ULL;  // "cairfscd": any fixed constant will do
  for (auto& word : table) {
    state += 0x9E3779B97F4A7C15ULL;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    word = z ^ (z >> 31);
  }
  return table;
}
constexpr std::array<uint64_t, 256> kGear = make_gear_table();

constexpr std::array<uint64_t, 256> make_shifted(const std::array<uint64_t, 256>& table) {
  std::array<uint64_t, 256> shifted{};
  for (size_t i = 0; i < table.size(); ++i) shifted[i] = table[i] << 1;
  return shifted;
}
constexpr std::array<uint64_t, 256> kGearShifted = make_shifted(kGear);

// Rolls the gear hash over p[begin, end) and returns the length up to the first cut (one
// past the byte where fp & mask == 0), or 0 if none. Two bytes per step: the hash chain
// advances by fp << 2 plus a term computed off the chain, which halves its latency; the
// middle byte's hash is checked off the chain too, so the cuts are exactly the bytewise
// ones.
size_t scan(const uint8_t* p, size_t begin, size_t end, uint64_t mask, uint64_t& fp) {
  size_t i = begin;
  for (; i + 2 <= end; i += 2) {
    const uint64_t middle = (fp << 1) + kGear[p[i]];
    fp = (fp << 2) + (kGearShifted[p[i]] + kGear[p[i + 1]]);
    if ((middle & mask) == 0) {
      fp = middle;
      return i + 1;
    }
    if ((fp & mask) == 0) return i + 2;
  }
  if (i < end) {
    fp = (fp << 1) + kGear[p[i]];
    if ((fp & mask) == 0) return i + 1;
  }
  return 0;
}

// With fp = (fp << 1) + gear[byte], bit j of fp depends on the last j + 1 bytes, so the
// mask takes the top bits: a cut then depends on (nearly) the last 64 bytes.
constexpr uint64_t top_bits(int bits) { return bits == 0 ? 0 : ~uint64_t{0} << (64 - bits); }

}  // namespace

std::vector<ChunkSpan> fixed_chunks(uint64_t total_bytes, uint64_t chunk_bytes) {
  CAIRN_ASSERT(chunk_bytes > 0);
  std::vector<ChunkSpan> chunks;
  chunks.reserve(total_bytes / chunk_bytes + 1);
  for (uint64_t offset = 0; offset < total_bytes; offset += chunk_bytes) {
    chunks.push_back({offset, std::min(chunk_bytes, total_bytes - offset)});
  }
  return chunks;
}

absl::StatusOr<CdcChunker> CdcChunker::create(const CdcParams& p) {
  const bool sizes_ok = p.min_bytes >= 64 && p.min_bytes < p.avg_bytes &&
                        p.avg_bytes < p.max_bytes && p.max_bytes <= (uint32_t{1} << 30);
  const int bits = std::countr_zero(p.avg_bytes);
  if (!sizes_ok || !std::has_single_bit(p.avg_bytes) || p.normalization < 0 ||
      bits - p.normalization < 1 || bits + p.normalization > 63) {
    return absl::InvalidArgumentError(absl::StrCat(
        "CDC parameters min=", p.min_bytes, " avg=", p.avg_bytes, " max=", p.max_bytes,
        " normalization=", p.normalization,
        ": need 64 <= min < avg < max <= 1GiB, avg a power of two, 0 <= normalization < "
        "log2(avg)"));
  }
  return CdcChunker(p, top_bits(bits + p.normalization), top_bits(bits - p.normalization));
}

size_t CdcChunker::cut(absl::Span<const uint8_t> data) const {
  const size_t n = std::min<size_t>(data.size(), params_.max_bytes);
  if (n <= params_.min_bytes) return n;
  const size_t normal = std::min<size_t>(n, params_.avg_bytes);
  uint64_t fp = 0;
  size_t i = params_.min_bytes;
  if (size_t at = scan(data.data(), i, normal, mask_small_, fp); at != 0) return at;
  if (size_t at = scan(data.data(), normal, n, mask_large_, fp); at != 0) return at;
  return n;
}

std::vector<ChunkSpan> CdcChunker::split(absl::Span<const uint8_t> data) const {
  std::vector<ChunkSpan> chunks;
  chunks.reserve(data.size() / params_.avg_bytes + 1);
  uint64_t offset = 0;
  while (offset < data.size()) {
    const size_t length = cut(data.subspan(offset));
    CAIRN_ASSERT(length > 0);
    CAIRN_ASSERT(length <= params_.max_bytes);
    chunks.push_back({offset, length});
    offset += length;
  }
  CAIRN_ASSERT(offset == data.size());
  return chunks;
}

}  // namespace cairn::client
