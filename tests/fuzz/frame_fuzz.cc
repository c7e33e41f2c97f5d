// libFuzzer target for the frame decoder: any bytes, fed in two pieces at a split chosen
// by the input, yield frames or one clear error; never a crash, a hang or an over-read
// (built with AddressSanitizer, so reading past the input aborts). The same bytes read
// through a FrameReader (core/wire/frame_reader.h), in reads of a size the input chooses,
// with its staging buffer and in-place threshold also chosen by the input, must give the
// same frames and the same error.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/wire/frame.h"
#include "core/wire/frame_reader.h"

namespace {

using namespace cairn::wire;

const FrameLimits kLimits{1u << 12, 1u << 16};

// Reads `bytes` through a reader as a socket would, at most `per_read` bytes a call.
absl::Status read_through(FrameReader& reader, const char* bytes, size_t size, size_t per_read,
                          std::vector<Frame>* out) {
  size_t at = 0;
  while (at < size) {
    const std::span<char> into = reader.next();
    const size_t n = std::min({into.size(), per_read, size - at});
    std::memcpy(into.data(), bytes + at, n);
    at += n;
    if (absl::Status s = reader.landed(n, out); !s.ok()) return s;
  }
  return reader.decoder().finish();
}

bool same(const Frame& a, const Frame& b) {
  return a.message.type == b.message.type && a.message.header == b.message.header &&
         a.message.payload.view() == b.message.payload.view() && a.meta.sequence == b.meta.sequence;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FrameDecoder decoder(kLimits);
  std::vector<Frame> frames;
  const size_t split = size == 0 ? 0 : data[0] % (size + 1);
  const char* bytes = reinterpret_cast<const char*>(data);
  absl::Status s = decoder.feed(bytes, split, &frames);
  if (s.ok()) s = decoder.feed(bytes + split, size - split, &frames);
  if (s.ok()) s = decoder.finish();
  const bool clean = decoder.error() == FrameError::kNone;
  if (s.ok() != clean) std::abort();
  if (!clean && (s.message().empty() || !decoder.want().empty())) std::abort();
  if (frames.size() != decoder.frames_decoded()) std::abort();

  const size_t per_read = size < 2 ? 1 : 1 + data[1] % 97;
  const size_t staging = size < 3 ? 1 : 1 + data[2] % 61;
  const size_t direct_min = size < 4 ? 1 : 1 + data[3] % 53;
  FrameReader reader(kLimits, nullptr, staging, direct_min);
  std::vector<Frame> read;
  const absl::Status r = read_through(reader, bytes, size, per_read, &read);
  if (r.ok() != s.ok() || reader.decoder().error() != decoder.error()) std::abort();
  if (read.size() != frames.size()) std::abort();
  for (size_t i = 0; i < read.size(); ++i) {
    if (!same(read[i], frames[i])) std::abort();
  }
  return 0;
}
