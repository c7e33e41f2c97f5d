#include "core/erasure/stripe_encoder.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <string>
#include <thread>

#include "core/base/test_bytes.h"
#include "core/erasure/test_codecs.h"

namespace cairn::erasure {
namespace {

// A chunk whose bytes start `offset` bytes into their owner's string, so they are only as
// aligned as a chunk cut out of a bigger buffer would be.
Payload make_chunk(const std::vector<uint8_t>& bytes, size_t offset) {
  auto owner = std::make_shared<std::string>(offset + bytes.size(), '\xAA');
  std::copy(bytes.begin(), bytes.end(), owner->begin() + static_cast<ptrdiff_t>(offset));
  return Payload::alias(owner, std::string_view(owner->data() + offset, bytes.size()));
}

// Empty, one byte, exact multiples of k aligned shards, or anything up to 20 000 bytes.
size_t any_chunk_size(const Codec& codec) {
  const size_t k = static_cast<size_t>(codec.data_shards());
  switch (*rc::gen::inRange(0, 4)) {
    case 0:
      return *rc::gen::element<size_t>(0, 1);
    case 1:
      return k * kShardAlignmentBytes * *rc::gen::inRange<size_t>(1, 6);
    default:
      return *rc::gen::inRange<size_t>(0, 20'000);
  }
}

const uint8_t* bytes_of(const Payload& p) { return reinterpret_cast<const uint8_t*>(p.data()); }

std::vector<Shard> as_shards(const EncodedChunk& encoded) {
  std::vector<Shard> shards;
  for (size_t i = 0; i < encoded.shards.size(); ++i) {
    const auto* b = bytes_of(encoded.shards[i]);
    std::vector<uint8_t> copy(b, b + encoded.shards[i].view().size());
    shards.push_back({static_cast<int>(i), shard_checksum(copy), std::move(copy)});
  }
  return shards;
}

bool aligned(const Payload& p) {
  return reinterpret_cast<uintptr_t>(p.data()) % kShardAlignmentBytes == 0;
}

RC_GTEST_PROP(StripeEncoder, ShardsEqualEncodeStripe, ()) {
  auto codec = any_codec();
  const auto bytes = random_bytes(any_chunk_size(*codec), *rc::gen::arbitrary<uint64_t>());
  const Payload chunk = make_chunk(bytes, *rc::gen::inRange<size_t>(0, 64));
  StripeEncoder encoder(*codec);
  const EncodedChunk encoded = encoder.encode(chunk);
  const EncodedStripe expected = encode_stripe(*codec, bytes);
  RC_ASSERT(encoded.layout == expected.layout);
  RC_ASSERT(encoded.shards.size() == static_cast<size_t>(codec->total_shards()));
  const size_t k = static_cast<size_t>(codec->data_shards());
  const size_t shard_bytes = encoded.layout.shard_bytes;
  for (size_t i = 0; i < encoded.shards.size(); ++i) {
    const Payload& shard = encoded.shards[i];
    RC_ASSERT(shard.virtual_bytes == 0u);
    RC_ASSERT(shard.view().size() == shard_bytes);
    RC_ASSERT(std::equal(bytes_of(shard), bytes_of(shard) + shard_bytes,
                         expected.shards[i].bytes.begin()));
    if (shard_bytes == 0) continue;
    if (i < k && (i + 1) * shard_bytes <= bytes.size()) {
      RC_ASSERT((bytes_of(shard) == bytes_of(chunk) + i * shard_bytes));  // aliased, not copied
    } else if (i >= k && codec->parity_copies_data()) {
      RC_ASSERT((shard.data() == encoded.shards[0].data()));  // shared with shard 0
    } else {
      RC_ASSERT(aligned(shard));
      RC_ASSERT((shard.owner() != chunk.owner()));
    }
  }
}

RC_GTEST_PROP(StripeEncoder, AnyKShardsRebuildTheChunk, ()) {
  auto codec = any_codec();
  const auto bytes = random_bytes(any_chunk_size(*codec), *rc::gen::arbitrary<uint64_t>());
  StripeEncoder encoder(*codec, 4);
  const EncodedChunk encoded = encoder.encode(make_chunk(bytes, *rc::gen::inRange<size_t>(0, 8)));
  const int n = codec->total_shards();
  const auto lost = pick_indices(n, *rc::gen::inRange(0, codec->parity_shards() + 1));

  std::vector<Shard> received;
  for (Shard& shard : as_shards(encoded)) {
    if (std::find(lost.begin(), lost.end(), shard.index) == lost.end()) {
      received.push_back(std::move(shard));
    }
  }
  auto decoded = decode_stripe(*codec, encoded.layout, received);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(decoded->chunk == bytes);

  const size_t shard_bytes = encoded.layout.shard_bytes;
  std::vector<const uint8_t*> present(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) present[static_cast<size_t>(i)] = bytes_of(encoded.shards[i]);
  static const uint8_t kEmpty = 0;  // an empty shard must still read as present
  for (auto& p : present) p = p == nullptr ? &kEmpty : p;
  for (int index : lost) present[static_cast<size_t>(index)] = nullptr;
  std::vector<std::vector<uint8_t>> rebuilt(lost.size(), std::vector<uint8_t>(shard_bytes));
  std::vector<uint8_t*> out;
  for (auto& buffer : rebuilt) out.push_back(buffer.data());
  RC_ASSERT(codec->reconstruct(present, lost, out, shard_bytes).ok());
  for (size_t i = 0; i < lost.size(); ++i) {
    const Payload& original = encoded.shards[static_cast<size_t>(lost[i])];
    RC_ASSERT(std::equal(rebuilt[i].begin(), rebuilt[i].end(), bytes_of(original)));
  }
}

TEST(StripeEncoder, SecondEncodeOfTheSameSizeAllocatesNoBuffer) {
  auto codec = *make_reed_solomon(6, 3);
  StripeEncoder encoder(*codec);
  const Payload chunk = make_chunk(random_bytes(1'000'003, 1), 0);  // last data shard padded
  const std::vector<uint8_t> first_parity = as_shards(encoder.encode(chunk))[6].bytes;
  EXPECT_EQ(encoder.buffers_allocated(), 4u);  // one padded data shard, three parity shards
  EXPECT_EQ(encoder.idle_buffers(), 4u);
  {
    const EncodedChunk again = encoder.encode(chunk);
    EXPECT_EQ(encoder.buffers_allocated(), 4u);
    EXPECT_EQ(encoder.idle_buffers(), 0u);
    EXPECT_EQ(as_shards(again)[6].bytes, first_parity);  // reused buffers, same bytes
  }
  EXPECT_EQ(encoder.idle_buffers(), 4u);
  // A slightly different size falls in the same capacity class and reuses them too.
  // The reused buffers held parity and data before: padding must be zeroed afresh.
  const auto other = random_bytes(1'000'100, 2);
  const auto shards = as_shards(encoder.encode(make_chunk(other, 0)));
  EXPECT_EQ(encoder.buffers_allocated(), 4u);
  const auto expected = encode_stripe(*codec, other);
  for (size_t i = 0; i < shards.size(); ++i) EXPECT_EQ(shards[i].bytes, expected.shards[i].bytes);
}

TEST(StripeEncoder, APaddedShardWithinTheChunksZeroTailIsReadInPlace) {
  auto codec = *make_reed_solomon(6, 3);
  const auto bytes = random_bytes(1'000'003, 1);  // the last data shard needs 317 zeros
  auto owner = std::make_shared<std::string>(bytes.size() + 2048, '\0');
  std::copy(bytes.begin(), bytes.end(), owner->begin());
  const Payload plain = Payload::alias(owner, std::string_view(owner->data(), bytes.size()));
  const auto expected = encode_stripe(*codec, bytes);

  StripeEncoder encoder(*codec);
  const EncodedChunk encoded = encoder.encode(plain.with_zero_tail(2048));
  EXPECT_EQ(encoder.buffers_allocated(), 3u);  // the parity shards only
  EXPECT_EQ(encoded.shards[5].owner(), plain.owner());
  EXPECT_EQ(encoded.shards[5].data(), owner->data() + 5 * encoded.layout.shard_bytes);
  const auto shards = as_shards(encoded);
  for (size_t i = 0; i < shards.size(); ++i) EXPECT_EQ(shards[i].bytes, expected.shards[i].bytes);

  // A tail shorter than the padding: the shard is copied and padded, as without one.
  StripeEncoder copying(*codec);
  const auto copied = as_shards(copying.encode(plain.with_zero_tail(316)));
  EXPECT_EQ(copying.buffers_allocated(), 4u);
  for (size_t i = 0; i < copied.size(); ++i) EXPECT_EQ(copied[i].bytes, expected.shards[i].bytes);
}

// Shards of several MiB take the other fill path: coded straight from the chunk, the padded
// shard copied in one piece.
TEST(StripeEncoder, LargePaddedShardsEqualEncodeStripe) {
  struct Case {
    int k, m;
    size_t chunk_bytes;
  };
  for (const Case& c : {Case{3, 2, (7u << 20) + 1000}, Case{4, 2, (12u << 20) + 100},
                        Case{10, 4, (24u << 20) + 3}}) {
    auto codec = *make_reed_solomon(c.k, c.m);
    const auto bytes = random_bytes(c.chunk_bytes, c.chunk_bytes);
    StripeEncoder encoder(*codec);
    const auto shards = as_shards(encoder.encode(make_chunk(bytes, 5)));
    const auto expected = encode_stripe(*codec, bytes);
    ASSERT_GT(expected.layout.shard_bytes, 2u << 20);
    for (size_t i = 0; i < shards.size(); ++i) {
      EXPECT_EQ(shards[i].bytes, expected.shards[i].bytes) << codec->name() << " shard " << i;
    }
  }
}

TEST(StripeEncoder, KeepsAtMostTheConfiguredIdleBuffers) {
  auto codec = *make_reed_solomon(4, 4);
  StripeEncoder encoder(*codec, 2);
  encoder.encode(make_chunk(random_bytes(4096, 3), 0));
  EXPECT_EQ(encoder.buffers_allocated(), 4u);
  EXPECT_EQ(encoder.idle_buffers(), 2u);
  StripeEncoder no_pool(*codec, 0);
  no_pool.encode(make_chunk(random_bytes(4096, 3), 0));
  no_pool.encode(make_chunk(random_bytes(4096, 3), 0));
  EXPECT_EQ(no_pool.buffers_allocated(), 8u);
  EXPECT_EQ(no_pool.idle_buffers(), 0u);
}

TEST(StripeEncoder, PayloadsReleasedOnAnotherThreadReturnToThePool) {
  auto codec = *make_reed_solomon(5, 3);
  StripeEncoder encoder(*codec, 64);
  const auto bytes = random_bytes(50'001, 4);
  const Payload chunk = make_chunk(bytes, 3);
  const auto expected = encode_stripe(*codec, bytes);
  constexpr int kRounds = 200;
  std::vector<EncodedChunk> handed_over(kRounds);
  std::atomic<int> ready{0};
  std::thread releaser([&] {
    for (int released = 0; released < kRounds; ++released) {
      while (ready.load(std::memory_order_acquire) <= released) std::this_thread::yield();
      handed_over[static_cast<size_t>(released)] = EncodedChunk{};  // drops its Payloads
    }
  });
  for (int round = 0; round < kRounds; ++round) {
    EncodedChunk encoded = encoder.encode(chunk);
    const auto shards = as_shards(encoded);
    for (size_t i = 0; i < shards.size(); ++i) ASSERT_EQ(shards[i].bytes, expected.shards[i].bytes);
    handed_over[static_cast<size_t>(round)] = std::move(encoded);
    ready.store(round + 1, std::memory_order_release);
  }
  releaser.join();
  // Every buffer came back; no more were made than could be in flight at once.
  EXPECT_EQ(encoder.idle_buffers(), std::min<uint64_t>(encoder.buffers_allocated(), 64));
  EXPECT_LE(encoder.buffers_allocated(), 4u * kRounds);
  EXPECT_GE(encoder.buffers_allocated(), 4u);
}

TEST(StripeEncoder, ShardsOutliveTheEncoder) {
  auto codec = *make_reed_solomon(3, 2);
  const auto bytes = random_bytes(1000, 5);
  EncodedChunk encoded;
  {
    StripeEncoder encoder(*codec);
    encoded = encoder.encode(make_chunk(bytes, 0));
  }
  EXPECT_EQ(as_shards(encoded)[4].bytes, encode_stripe(*codec, bytes).shards[4].bytes);
}

TEST(StripeEncoder, VirtualChunksGiveVirtualShards) {
  auto codec = *make_reed_solomon(10, 4);
  StripeEncoder encoder(*codec);
  Payload chunk;
  chunk.virtual_bytes = 64ull << 30;
  const EncodedChunk encoded = encoder.encode(chunk);
  EXPECT_EQ(encoded.layout, plan_stripe(*codec, chunk.size()));
  ASSERT_EQ(encoded.shards.size(), 14u);
  for (const Payload& shard : encoded.shards) {
    EXPECT_EQ(shard.virtual_bytes, encoded.layout.shard_bytes);
    EXPECT_TRUE(shard.view().empty());
  }
  EXPECT_EQ(encoder.buffers_allocated(), 0u);
}

TEST(StripeEncoder, ReplicationSharesTheChunkWithoutCopying) {
  auto codec = *make_replication(3);
  StripeEncoder encoder(*codec);
  const Payload whole = make_chunk(random_bytes(640, 6), 0);
  for (const Payload& shard : encoder.encode(whole).shards) {
    EXPECT_EQ(shard.data(), whole.data());
    EXPECT_EQ(shard.view().size(), 640u);
  }
  EXPECT_EQ(encoder.buffers_allocated(), 0u);
  // A chunk that needs padding is copied once, and all copies share that one buffer.
  const auto odd = random_bytes(641, 7);
  const EncodedChunk padded = encoder.encode(make_chunk(odd, 1));
  EXPECT_EQ(encoder.buffers_allocated(), 1u);
  for (const Payload& shard : padded.shards) EXPECT_EQ(shard.data(), padded.shards[0].data());
  EXPECT_EQ(as_shards(padded)[2].bytes, encode_stripe(*codec, odd).shards[2].bytes);
}

TEST(BufferPool, CapacitiesAreAlignedAndLessThanAStepLarger) {
  for (size_t bytes : {1ul, 63ul, 64ul, 65ul, 1000ul, 4096ul, 4097ul, 1'000'003ul, 7ul << 30}) {
    const size_t capacity = BufferPool::capacity_for(bytes);
    EXPECT_GE(capacity, bytes);
    EXPECT_EQ(capacity % kShardAlignmentBytes, 0u);
    EXPECT_LT(capacity, bytes + std::max<size_t>(bytes / 8, kShardAlignmentBytes)) << bytes;
  }
}

}  // namespace
}  // namespace cairn::erasure
