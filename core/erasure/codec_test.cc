#include "core/erasure/codec.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <random>

namespace cairn::erasure {
namespace {

TEST(Codec, RejectsImpossibleParameters) {
  EXPECT_EQ(make_reed_solomon(0, 2).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(make_reed_solomon(4, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(make_reed_solomon(30, 3).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(make_replication(0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(make_reed_solomon(29, 3).ok());
  EXPECT_EQ((*make_reed_solomon(10, 4))->name(), "rs(10,4)");
  EXPECT_EQ((*make_replication(3))->name(), "rep(3)");
}

TEST(Codec, ReconstructChecksItsArguments) {
  auto codec = *make_reed_solomon(2, 1);
  std::vector<uint8_t> a(64, 1), b(64, 2), c(64), out(64);
  codec->encode({a.data(), b.data()}, {c.data()}, 64);
  std::vector<const uint8_t*> shards = {a.data(), nullptr, c.data()};
  std::vector<uint8_t*> outs = {out.data()};
  EXPECT_TRUE(codec->reconstruct(shards, {1}, outs, 64).ok());
  EXPECT_EQ(out, b);
  EXPECT_EQ(codec->reconstruct(shards, {0}, outs, 64).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(codec->reconstruct(shards, {3}, outs, 64).code(), absl::StatusCode::kInvalidArgument);
  shards = {nullptr, nullptr, c.data()};
  EXPECT_EQ(codec->reconstruct(shards, {1}, outs, 64).code(), absl::StatusCode::kDataLoss);
}

// Parity is linear: encoding the XOR of two inputs gives the XOR of their parities. This
// pins the codec to a real linear code without relying on its own decoder.
RC_GTEST_PROP(Codec, ParityIsLinear, ()) {
  const int k = *rc::gen::inRange(1, 20);
  const int m = *rc::gen::inRange(1, 33 - k);
  auto codec = *make_reed_solomon(k, m);
  const size_t len = 64 * *rc::gen::inRange<size_t>(1, 8);
  std::mt19937_64 rng(*rc::gen::arbitrary<uint64_t>());
  auto fill = [&](size_t shards) {
    std::vector<std::vector<uint8_t>> v(shards, std::vector<uint8_t>(len));
    for (auto& s : v)
      for (auto& b : s) b = static_cast<uint8_t>(rng());
    return v;
  };
  auto x = fill(static_cast<size_t>(k)), y = fill(static_cast<size_t>(k)), xy = x;
  for (size_t i = 0; i < xy.size(); ++i)
    for (size_t j = 0; j < len; ++j) xy[i][j] ^= y[i][j];
  auto parity_of = [&](const std::vector<std::vector<uint8_t>>& data) {
    std::vector<std::vector<uint8_t>> parity(static_cast<size_t>(m), std::vector<uint8_t>(len));
    std::vector<const uint8_t*> in;
    std::vector<uint8_t*> out;
    for (auto& s : data) in.push_back(s.data());
    for (auto& s : parity) out.push_back(s.data());
    codec->encode(in, out, len);
    return parity;
  };
  auto px = parity_of(x), py = parity_of(y), pxy = parity_of(xy);
  for (size_t i = 0; i < pxy.size(); ++i)
    for (size_t j = 0; j < len; ++j) RC_ASSERT(pxy[i][j] == (px[i][j] ^ py[i][j]));
}

}  // namespace
}  // namespace cairn::erasure
