#include "core/client/chunker.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/base/test_bytes.h"

namespace cairn::client {
namespace {

// Small sizes keep 1000 cases fast while exercising every branch of cut().
constexpr CdcParams kSmall{
    .min_bytes = 256, .avg_bytes = 1024, .max_bytes = 4096, .normalization = 2};

std::set<uint64_t> ends_of(const std::vector<ChunkSpan>& chunks) {
  std::set<uint64_t> ends;
  for (const auto& c : chunks) ends.insert(c.offset + c.length);
  return ends;
}

TEST(Chunker, RejectsBadParameters) {
  EXPECT_FALSE(CdcChunker::create({.min_bytes = 32}).ok());
  EXPECT_FALSE(CdcChunker::create({.avg_bytes = 5000}).ok());
  EXPECT_FALSE(CdcChunker::create({.min_bytes = 4096, .avg_bytes = 4096}).ok());
  EXPECT_FALSE(CdcChunker::create({.max_bytes = 8192}).ok());
  EXPECT_FALSE(CdcChunker::create({.normalization = 13}).ok());
  EXPECT_TRUE(CdcChunker::create({}).ok());
}

TEST(Chunker, FixedChunksTileTheInput) {
  EXPECT_EQ(fixed_chunks(10, 4), (std::vector<ChunkSpan>{{0, 4}, {4, 4}, {8, 2}}));
  EXPECT_TRUE(fixed_chunks(0, 4).empty());
}

// Nothing is cut before min_bytes, so the mean sits a little above avg_bytes; normalized
// chunking narrows the spread of sizes compared with plain gear CDC (FastCDC's NC).
TEST(Chunker, NormalizationKeepsSizesNearTheAverage) {
  const auto data = random_bytes(16 << 20, 1);
  auto stats = [&](int level) {
    const auto chunks = (*CdcChunker::create({.normalization = level})).split(data);
    double sum = 0, sum_sq = 0;
    for (const auto& c : chunks) sum += c.length, sum_sq += double(c.length) * c.length;
    const double mean = sum / chunks.size();
    return std::pair{mean, std::sqrt(sum_sq / chunks.size() - mean * mean)};
  };
  const auto [mean2, sd2] = stats(2);
  const auto [mean0, sd0] = stats(0);
  EXPECT_GE(mean2, 8192.0);
  EXPECT_LE(mean2, 8192.0 * 1.25);
  EXPECT_LT(sd2, 0.6 * sd0);
}

RC_GTEST_PROP(Chunker, ChunksTileInputWithinBounds, ()) {
  auto chunker = *CdcChunker::create(kSmall);
  const auto data =
      random_bytes(*rc::gen::inRange<size_t>(0, 40'000), *rc::gen::arbitrary<uint64_t>());
  const auto chunks = chunker.split(data);
  uint64_t offset = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    RC_ASSERT(chunks[i].offset == offset);
    RC_ASSERT(chunks[i].length <= kSmall.max_bytes);
    if (i + 1 < chunks.size()) RC_ASSERT(chunks[i].length >= kSmall.min_bytes);
    offset += chunks[i].length;
  }
  RC_ASSERT(offset == data.size());
}

// An insertion at `at` keeps every boundary before it, and every boundary more than
// kResyncBytes after it (shifted by the inserted length). The cutter resynchronizes as
// soon as one cut lands on an old boundary; on random data that happens within a chunk
// or two, so 8 maximum-size chunks is a tolerance with a wide margin.
RC_GTEST_PROP(Chunker, InsertionMovesOnlyNearbyBoundaries, ()) {
  constexpr uint64_t kResyncBytes = 8 * kSmall.max_bytes;
  auto chunker = *CdcChunker::create(kSmall);
  const auto original =
      random_bytes(*rc::gen::inRange<size_t>(1, 120'000), *rc::gen::arbitrary<uint64_t>());
  const size_t at = *rc::gen::inRange<size_t>(0, original.size());
  const auto inserted = random_bytes(*rc::gen::inRange<size_t>(1, 200), at);
  auto edited = original;
  edited.insert(edited.begin() + static_cast<ptrdiff_t>(at), inserted.begin(), inserted.end());
  const auto before = ends_of(chunker.split(original));
  const auto after = ends_of(chunker.split(edited));
  for (uint64_t end : before) {
    if (end <= at) RC_ASSERT(after.count(end) == 1);
    if (end > at + kResyncBytes) RC_ASSERT(after.count(end + inserted.size()) == 1);
  }
}

RC_GTEST_PROP(Chunker, CutDependsOnlyOnBytesBeforeIt, ()) {
  auto chunker = *CdcChunker::create(kSmall);
  const auto data =
      random_bytes(*rc::gen::inRange<size_t>(0, 10'000), *rc::gen::arbitrary<uint64_t>());
  const size_t first = chunker.cut(data);
  RC_ASSERT(first <= data.size());
  // Dropping or changing bytes past the cut cannot move it: they were never looked at.
  auto copy = data;
  copy.resize(*rc::gen::inRange<size_t>(first, data.size() + 1));
  if (copy.size() > first) copy.back() ^= 0xFF;
  RC_ASSERT(chunker.cut(copy) == first);
}

}  // namespace
}  // namespace cairn::client
