#include "core/erasure/stripe.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <random>

#include "core/base/test_bytes.h"
#include "core/erasure/test_codecs.h"

namespace cairn::erasure {
namespace {

std::vector<Shard> without(const std::vector<Shard>& shards, const std::vector<int>& drop) {
  std::vector<Shard> kept;
  for (const Shard& s : shards) {
    if (std::find(drop.begin(), drop.end(), s.index) == drop.end()) kept.push_back(s);
  }
  return kept;
}

RC_GTEST_PROP(Stripe, DecodesAfterLosingAnyMShards, ()) {
  auto codec = any_codec();
  const auto chunk =
      random_bytes(*rc::gen::inRange<size_t>(0, 20'000), *rc::gen::arbitrary<uint64_t>());
  const auto stripe = encode_stripe(*codec, chunk);
  RC_ASSERT(stripe.layout.shard_bytes * codec->data_shards() ==
            chunk.size() + stripe.layout.padding_bytes);
  const auto lost =
      pick_indices(codec->total_shards(), *rc::gen::inRange(0, codec->parity_shards() + 1));
  auto received = without(stripe.shards, lost);
  std::shuffle(received.begin(), received.end(), std::mt19937_64(lost.size()));
  auto decoded = decode_stripe(*codec, stripe.layout, received);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(decoded->chunk == chunk);
  RC_ASSERT(decoded->missing.size() == lost.size());
  RC_ASSERT(decoded->corrupt.empty());
}

RC_GTEST_PROP(Stripe, RebuildsChosenShardsExactly, ()) {
  auto codec = any_codec();
  const auto chunk =
      random_bytes(*rc::gen::inRange<size_t>(1, 20'000), *rc::gen::arbitrary<uint64_t>());
  const auto stripe = encode_stripe(*codec, chunk);
  const auto lost =
      pick_indices(codec->total_shards(), *rc::gen::inRange(1, codec->parity_shards() + 1));
  auto rebuilt = rebuild_shards(*codec, stripe.layout, without(stripe.shards, lost), lost);
  RC_ASSERT(rebuilt.ok());
  RC_ASSERT(rebuilt->size() == lost.size());
  for (const Shard& shard : *rebuilt) {
    const Shard& original = stripe.shards[static_cast<size_t>(shard.index)];
    RC_ASSERT(shard.bytes == original.bytes);
    RC_ASSERT(shard.crc32c == original.crc32c);
  }
}

RC_GTEST_PROP(Stripe, DetectsEveryCorruptShard, ()) {
  auto codec = any_codec();
  const auto chunk =
      random_bytes(*rc::gen::inRange<size_t>(1, 20'000), *rc::gen::arbitrary<uint64_t>());
  auto stripe = encode_stripe(*codec, chunk);
  const int n = codec->total_shards();
  auto bad = pick_indices(n, *rc::gen::inRange(1, n + 1));
  for (int index : bad) {
    auto& bytes = stripe.shards[static_cast<size_t>(index)].bytes;
    const size_t at = *rc::gen::inRange<size_t>(0, bytes.size());
    bytes[at] ^= static_cast<uint8_t>(*rc::gen::inRange(1, 256));  // at least one bit flips
  }
  std::sort(bad.begin(), bad.end());
  auto decoded = decode_stripe(*codec, stripe.layout, stripe.shards);
  if (static_cast<int>(bad.size()) <= codec->parity_shards()) {
    RC_ASSERT(decoded.ok());
    RC_ASSERT(decoded->corrupt == bad);
    RC_ASSERT(decoded->chunk == chunk);
  } else {
    RC_ASSERT(decoded.status().code() == absl::StatusCode::kDataLoss);
  }
}

RC_GTEST_PROP(Stripe, TooFewShardsIsDataLoss, ()) {
  auto codec = any_codec();
  const auto chunk =
      random_bytes(*rc::gen::inRange<size_t>(0, 4'000), *rc::gen::arbitrary<uint64_t>());
  const auto stripe = encode_stripe(*codec, chunk);
  const int n = codec->total_shards();
  const auto lost = pick_indices(n, *rc::gen::inRange(codec->parity_shards() + 1, n + 1));
  auto decoded = decode_stripe(*codec, stripe.layout, without(stripe.shards, lost));
  RC_ASSERT(decoded.status().code() == absl::StatusCode::kDataLoss);
  auto rebuilt = rebuild_shards(*codec, stripe.layout, without(stripe.shards, lost), lost);
  RC_ASSERT(rebuilt.status().code() == absl::StatusCode::kDataLoss);
}

TEST(Stripe, DataLossNamesCorruptAndMissingShards) {
  auto codec = *make_reed_solomon(4, 2);
  auto stripe = encode_stripe(*codec, random_bytes(1000, 7));
  stripe.shards[1].bytes[0] ^= 1;
  stripe.shards[2].bytes.pop_back();
  auto decoded = decode_stripe(*codec, stripe.layout, without(stripe.shards, {5}));
  ASSERT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(decoded.status().message().find("corrupt [1,2] missing [5]"), std::string::npos)
      << decoded.status();
}

TEST(Stripe, RecordsPaddingInTheLayout) {
  auto codec = *make_reed_solomon(10, 4);
  const auto layout = plan_stripe(*codec, 1000);
  EXPECT_EQ(layout.shard_bytes, 128u);
  EXPECT_EQ(layout.padding_bytes, 280u);
  EXPECT_EQ(plan_stripe(*codec, 0).shard_bytes, 0u);
}

TEST(Stripe, RejectsMismatchedLayoutAndRepeatedShards) {
  auto codec = *make_reed_solomon(4, 2);
  auto stripe = encode_stripe(*codec, random_bytes(1000, 9));
  auto wrong = stripe.layout;
  wrong.padding_bytes += 1;
  EXPECT_EQ(decode_stripe(*codec, wrong, stripe.shards).status().code(),
            absl::StatusCode::kInvalidArgument);
  stripe.shards.push_back(stripe.shards[0]);
  EXPECT_EQ(decode_stripe(*codec, stripe.layout, stripe.shards).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Stripe, ChecksumIsStandardCrc32c) {
  const std::string text = "123456789";
  EXPECT_EQ(shard_checksum({reinterpret_cast<const uint8_t*>(text.data()), text.size()}),
            0xE3069283u);
}

}  // namespace
}  // namespace cairn::erasure
