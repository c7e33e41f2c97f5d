// Chunking: cutting a byte stream into the pieces that are digested, deduplicated and
// erasure-coded one by one.
//
// Fixed-size chunking cuts every `chunk_bytes`. Content-defined chunking (FastCDC-style:
// a gear rolling hash, a minimum skipped without hashing, normalized chunking with a
// stricter mask before the average size and a looser one after) cuts where the last
// 64 bytes hash to a pattern, so an edit moves only the boundaries near it and the rest
// of the file still deduplicates. Promises: deterministic (no state between calls, the
// gear table is a constant); chunks tile the input exactly; every chunk but the last has
// length in [min_bytes, max_bytes].
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace cairn::client {

struct ChunkSpan {
  uint64_t offset = 0;
  uint64_t length = 0;
  friend bool operator==(const ChunkSpan&, const ChunkSpan&) = default;
};

// REQUIRES: chunk_bytes > 0. The last chunk may be shorter; no chunks for empty input.
std::vector<ChunkSpan> fixed_chunks(uint64_t total_bytes, uint64_t chunk_bytes);

struct CdcParams {
  uint32_t min_bytes = 2 * 1024;
  uint32_t avg_bytes = 8 * 1024;  // a power of two
  uint32_t max_bytes = 64 * 1024;
  // Bits added to the mask before avg_bytes and removed after it (FastCDC's NC level):
  // 0 is plain gear CDC; 1-3 pull chunk sizes toward the average.
  int normalization = 2;
};

class CdcChunker {
 public:
  // InvalidArgument unless 64 <= min < avg < max <= 1 GiB, avg is a power of two and
  // 0 <= normalization with 1 <= log2(avg) - normalization.
  static absl::StatusOr<CdcChunker> create(const CdcParams& params);

  // Length of the first chunk of `data`. REQUIRES: `data` holds at least max_bytes or
  // runs to the end of the stream (a cut is never made past the bytes given).
  size_t cut(absl::Span<const uint8_t> data) const;
  std::vector<ChunkSpan> split(absl::Span<const uint8_t> data) const;

  const CdcParams& params() const { return params_; }

 private:
  CdcChunker(const CdcParams& params, uint64_t mask_small, uint64_t mask_large)
      : params_(params), mask_small_(mask_small), mask_large_(mask_large) {}

  CdcParams params_;
  uint64_t mask_small_;  // more bits: used before avg_bytes, so early cuts are rarer
  uint64_t mask_large_;  // fewer bits: used after avg_bytes, so late cuts are likelier
};

}  // namespace cairn::client
