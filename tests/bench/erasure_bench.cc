// RS encode and decode through cairn::erasure::Codec against direct ISA-L calls on the
// same buffers (baseline tables precomputed once; the Codec inverts per decode call), and
// the coordinator's encode path (StripeEncoder::encode on a chunk Payload) against
// ec_encode_data straight over the chunk's bytes.
#include <isa-l/erasure_code.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/erasure/codec.h"
#include "core/erasure/stripe.h"
#include "core/erasure/stripe_encoder.h"
#include "core/runtime/message.h"
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

// A chunk's bytes in a buffer long enough for k whole shards (zeros after the chunk), so
// the baseline can code straight from it; `offset` bytes past a 64-byte boundary.
struct ChunkBuffer {
  std::shared_ptr<uint8_t> storage;
  uint8_t* bytes = nullptr;
};

ChunkBuffer make_chunk_buffer(size_t chunk_bytes, size_t padded_bytes, size_t offset) {
  auto* raw = static_cast<uint8_t*>(::operator new (padded_bytes + offset, std::align_val_t{64}));
  ChunkBuffer c{std::shared_ptr<uint8_t>(
                    raw, [](uint8_t* p) { ::operator delete (p, std::align_val_t{64}); }),
                raw + offset};
  const auto random = cairn::bench::random_buffer(chunk_bytes, 7);
  std::memcpy(c.bytes, random.data(), chunk_bytes);
  std::memset(c.bytes + chunk_bytes, 0, padded_bytes - chunk_bytes);
  return c;
}

// Raw ISA-L over the chunk itself: the k data pointers point into the chunk's bytes.
struct RawEncode {
  int k, m, len;
  std::vector<uint8_t> tables;
  std::vector<uint8_t*> ptrs;  // k into the chunk, then m parity buffers
  Buffers parity;
  void operator()() { ec_encode_data(len, k, m, tables.data(), ptrs.data(), ptrs.data() + k); }
};

RawEncode make_raw_encode(int k, int m, uint8_t* chunk, size_t shard_bytes) {
  RawEncode raw{k, m, static_cast<int>(shard_bytes), {}, {}, make_buffers(m, 0, shard_bytes)};
  std::vector<uint8_t> matrix(static_cast<size_t>((k + m) * k));
  gf_gen_cauchy1_matrix(matrix.data(), k + m, k);
  raw.tables.resize(static_cast<size_t>(32 * k * m));
  ec_init_tables(k, m, &matrix[static_cast<size_t>(k * k)], raw.tables.data());
  for (int i = 0; i < k; ++i) raw.ptrs.push_back(chunk + static_cast<size_t>(i) * shard_bytes);
  for (auto* p : raw.parity.ptrs) raw.ptrs.push_back(p);
  return raw;
}

// `max_pooled` 0 turns buffer reuse off, to show what the pool saves.
void bench_coordinator_encode(int k, int m, size_t chunk_bytes, const char* note,
                              size_t max_pooled = 16, bool zero_tail = true) {
  auto codec = *cairn::erasure::make_reed_solomon(k, m);
  const auto layout = cairn::erasure::plan_stripe(*codec, chunk_bytes);
  const size_t shard_bytes = layout.shard_bytes;
  const ChunkBuffer buffer = make_chunk_buffer(chunk_bytes, k * shard_bytes, 0);
  // As a chunk decoded from a frame comes (core/wire/frame.h): zeros after it, declared.
  const cairn::Payload chunk =
      cairn::Payload::alias(buffer.storage,
                            {reinterpret_cast<const char*>(buffer.bytes), chunk_bytes})
          .with_zero_tail(zero_tail ? static_cast<uint16_t>(layout.padding_bytes) : 0);
  RawEncode raw = make_raw_encode(k, m, buffer.bytes, shard_bytes);
  cairn::erasure::StripeEncoder encoder(*codec, max_pooled);

  // Same parity bytes both ways before anything is timed.
  raw();
  {
    const auto encoded = encoder.encode(chunk);
    for (int j = 0; j < m; ++j) {
      CAIRN_ASSERT(std::memcmp(encoded.shards[static_cast<size_t>(k + j)].data(),
                               raw.parity.ptrs[static_cast<size_t>(j)], shard_bytes) == 0);
    }
  }
  const uint64_t allocated = encoder.buffers_allocated();
  auto c = compare([&] { auto out = encoder.encode(chunk); }, raw, 15, 0.1);
  if (max_pooled > 0) CAIRN_ASSERT(encoder.buffers_allocated() == allocated);  // all reused
  print_throughput(
      absl::StrCat(codec->name(), " StripeEncoder::encode, ",
                   absl::SixDigits(static_cast<double>(chunk_bytes) / (1 << 20)), " MiB", note)
          .c_str(),
      c, static_cast<double>(chunk_bytes));
}

// ISA-L on data pointers 8 bytes off a 64-byte boundary against the same code aligned.
void bench_unaligned_input(int k, int m, size_t chunk_bytes) {
  const size_t shard_bytes =
      cairn::erasure::plan_stripe(**cairn::erasure::make_reed_solomon(k, m), chunk_bytes)
          .shard_bytes;
  const ChunkBuffer aligned = make_chunk_buffer(chunk_bytes, k * shard_bytes, 0);
  const ChunkBuffer unaligned = make_chunk_buffer(chunk_bytes, k * shard_bytes, 8);
  RawEncode raw_aligned = make_raw_encode(k, m, aligned.bytes, shard_bytes);
  RawEncode raw_unaligned = make_raw_encode(k, m, unaligned.bytes, shard_bytes);
  auto c = compare(raw_unaligned, raw_aligned, 15, 0.1);
  print_throughput(
      absl::StrCat("rs(", k, ",", m, ") raw, data +8 B vs aligned, ", chunk_bytes >> 20, " MiB")
          .c_str(),
      c, static_cast<double>(chunk_bytes));
}

}  // namespace

// `bench_erasure coordinator` runs only the coordinator rows.
int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "coordinator") != 0) {
    std::printf("| operation (1 MiB shards) | ours | raw ISA-L | ratio |\n|---|---|---|---|\n");
    bench_code(10, 4, 1 << 20);
    bench_code(6, 3, 1 << 20);
    std::printf("\n");
  }
  std::printf(
      "| coordinator encode (chunk in, k+m shard Payloads out) | ours | raw ISA-L | "
      "ratio |\n|---|---|---|---|\n");
  const std::pair<int, int> codes[] = {{3, 2}, {6, 3}, {10, 4}};
  for (size_t mib : {4, 64}) {
    for (auto [k, m] : codes) bench_coordinator_encode(k, m, mib << 20, "");
  }
  // The same chunks cut down to whole aligned shards: no padded shard, nothing copied.
  for (auto [k, m] : codes) {
    const size_t whole = static_cast<size_t>(k) * cairn::erasure::kShardAlignmentBytes;
    bench_coordinator_encode(k, m, (64u << 20) / whole * whole, " whole shards");
  }
  bench_coordinator_encode(6, 3, 4 << 20, ", no pool (fresh buffers)", 0);
  // Chunks without a zero tail (from memory the coder may not read past): the padded
  // shard is copied.
  for (auto [k, m] : codes) bench_coordinator_encode(k, m, 64u << 20, ", no zero tail", 16, false);
  bench_unaligned_input(10, 4, 4 << 20);
  bench_unaligned_input(10, 4, 64 << 20);
  return 0;
}
