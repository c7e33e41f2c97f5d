// libFuzzer target for the frame decoder: any bytes, fed in two pieces at a split chosen
// by the input, yield frames or one clear error; never a crash, a hang or an over-read
// (built with AddressSanitizer, so reading past the input aborts).
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "core/wire/frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn::wire;
  FrameDecoder decoder(FrameLimits{1u << 12, 1u << 16});
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
  return 0;
}
