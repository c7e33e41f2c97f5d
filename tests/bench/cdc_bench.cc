// Content-defined chunking throughput against a bare gear-hash loop over every byte (the
// work CDC would do without min-size skipping: its natural ceiling) on the same buffer.
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/client/chunker.h"
#include "tests/bench/datapath_timing.h"

namespace {

// A gear rolling hash with no cut logic: one shift, one add, one table load per byte.
uint64_t bare_gear(const std::vector<uint8_t>& data, const uint64_t (&table)[256]) {
  uint64_t fp = 0, cuts = 0;
  for (uint8_t byte : data) {
    fp = (fp << 1) + table[byte];
    cuts += (fp >> 51) == 0;
  }
  return cuts;
}

}  // namespace

int main() {
  const auto data = cairn::bench::random_buffer(size_t{64} << 20, 5);
  uint64_t table[256];
  for (int i = 0; i < 256; ++i)
    table[i] =
        cairn::bench::random_buffer(8, 1000 + static_cast<uint64_t>(i))[0] * 0x9E3779B97F4A7C15ULL;
  std::printf(
      "| chunker on 64 MiB random data | ours | bare gear hash | ratio |\n|---|---|---|---|\n");
  volatile uint64_t sink = 0;
  const cairn::client::CdcParams configs[] = {
      {.min_bytes = 2048, .avg_bytes = 8192, .max_bytes = 65536, .normalization = 2},
      {.min_bytes = 16384, .avg_bytes = 65536, .max_bytes = 262144, .normalization = 2},
      {.min_bytes = 2048, .avg_bytes = 8192, .max_bytes = 65536, .normalization = 0}};
  for (const auto& params : configs) {
    const auto chunker = *cairn::client::CdcChunker::create(params);
    size_t chunks = 0;
    auto c = cairn::bench::compare([&] { chunks = chunker.split(data).size(); },
                                   [&] { sink = sink + bare_gear(data, table); }, 5, 0.3);
    CAIRN_ASSERT(chunks > 0);
    const auto name = absl::StrCat("CDC min/avg/max ", params.min_bytes >> 10, "/",
                                   params.avg_bytes >> 10, "/", params.max_bytes >> 10, " KiB NC",
                                   params.normalization, " (mean ", data.size() / chunks, " B)");
    cairn::bench::print_throughput(name.c_str(), c, static_cast<double>(data.size()));
  }
  return 0;
}
