// RS encode and decode through cairn::erasure::Codec against direct ISA-L calls on the
// same buffers (baseline tables precomputed once; the Codec inverts per decode call).
#include <isa-l/erasure_code.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/erasure/codec.h"
#include "core/erasure/stripe.h"
#include "tests/bench/datapath_timing.h"

namespace {

using cairn::bench::compare;
using cairn::bench::print_throughput;

struct Buffers {
  std::vector<std::vector<uint8_t>> shards;  // k data then m parity
  std::vector<uint8_t*> ptrs;
};

Buffers make_buffers(int k, int m, size_t shard_bytes) {
  Buffers b;
  for (int i = 0; i < k + m; ++i) {
    b.shards.push_back(cairn::bench::random_buffer(shard_bytes, static_cast<uint64_t>(i)));
    b.ptrs.push_back(b.shards.back().data());
  }
  return b;
}

// Raw ISA-L decode tables for recovering data shards 0..lost-1 from shards lost..k+lost-1.
std::vector<uint8_t> raw_decode_tables(const std::vector<uint8_t>& matrix, int k, int lost) {
  std::vector<uint8_t> sub(static_cast<size_t>(k * k)), inv(static_cast<size_t>(k * k));
  for (int r = 0; r < k; ++r) {
    std::memcpy(&sub[static_cast<size_t>(r * k)], &matrix[static_cast<size_t>((r + lost) * k)],
                static_cast<size_t>(k));
  }
  CAIRN_ASSERT(gf_invert_matrix(sub.data(), inv.data(), k) == 0);
  std::vector<uint8_t> tables(static_cast<size_t>(32 * k * lost));
  ec_init_tables(k, lost, inv.data(), tables.data());
  return tables;
}

void bench_code(int k, int m, size_t shard_bytes) {
  auto codec = *cairn::erasure::make_reed_solomon(k, m);
  Buffers b = make_buffers(k, m, shard_bytes);
  std::vector<uint8_t> matrix(static_cast<size_t>((k + m) * k));
  gf_gen_cauchy1_matrix(matrix.data(), k + m, k);
  std::vector<uint8_t> enc_tables(static_cast<size_t>(32 * k * m));
  ec_init_tables(k, m, &matrix[static_cast<size_t>(k * k)], enc_tables.data());
  const absl::Span<const uint8_t* const> data(b.ptrs.data(), static_cast<size_t>(k));
  const absl::Span<uint8_t* const> parity(b.ptrs.data() + k, static_cast<size_t>(m));
  const int len = static_cast<int>(shard_bytes);
  const double input_bytes = static_cast<double>(k) * static_cast<double>(shard_bytes);

  auto enc = compare(
      [&] { codec->encode(data, parity, shard_bytes); },
      [&] { ec_encode_data(len, k, m, enc_tables.data(), b.ptrs.data(), b.ptrs.data() + k); });
  print_throughput(absl::StrCat(codec->name(), " encode").c_str(), enc, input_bytes);

  // Lose data shards 0..m-1; rebuild them from shards m..m+k-1 into scratch buffers.
  const int lost = m;
  Buffers out = make_buffers(lost, 0, shard_bytes);
  auto dec_tables = raw_decode_tables(matrix, k, lost);
  std::vector<const uint8_t*> present(b.ptrs.begin(), b.ptrs.end());
  std::vector<int> lost_idx;
  for (int i = 0; i < lost; ++i) present[static_cast<size_t>(i)] = nullptr, lost_idx.push_back(i);
  auto dec = compare(
      [&] { CAIRN_ASSERT(codec->reconstruct(present, lost_idx, out.ptrs, shard_bytes).ok()); },
      [&] {
        ec_encode_data(len, k, lost, dec_tables.data(), b.ptrs.data() + lost, out.ptrs.data());
      });
  for (int i = 0; i < lost; ++i)
    CAIRN_ASSERT(out.shards[static_cast<size_t>(i)] == b.shards[static_cast<size_t>(i)]);
  print_throughput(absl::StrCat(codec->name(), " decode, ", lost, " data shards lost").c_str(), dec,
                   input_bytes);

  // The whole stripe path (copy into shards, encode, CRC32C of every shard), for scale.
  const auto chunk = cairn::bench::random_buffer(k * shard_bytes, 99);
  auto full = compare(
      [&] { auto s = cairn::erasure::encode_stripe(*codec, chunk); },
      [&] { ec_encode_data(len, k, m, enc_tables.data(), b.ptrs.data(), b.ptrs.data() + k); }, 3);
  print_throughput(absl::StrCat(codec->name(), " encode_stripe (copy+CRC)").c_str(), full,
                   input_bytes);
}

}  // namespace

int main() {
  std::printf("| operation (1 MiB shards) | ours | raw ISA-L | ratio |\n|---|---|---|---|\n");
  bench_code(10, 4, 1 << 20);
  bench_code(6, 3, 1 << 20);
  return 0;
}
