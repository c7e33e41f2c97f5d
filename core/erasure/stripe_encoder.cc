#include "core/erasure/stripe_encoder.h"

namespace cairn::erasure {

EncodedChunk StripeEncoder::encode(const cairn::Payload& chunk) {
  EncodedChunk out;
  out.layout = plan_stripe(codec_, chunk.size());
  if (chunk.virtual_bytes > 0) {
    for (int i = 0; i < codec_.total_shards(); ++i) {
      cairn::Payload p;
      p.virtual_bytes = out.layout.shard_bytes;
      out.shards.push_back(p);
    }
    return out;
  }
  auto view = chunk.view();
  EncodedStripe s = encode_stripe(
      codec_,
      absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(view.data()), view.size()));
  for (auto& shard : s.shards) {
    out.shards.emplace_back(std::string(shard.bytes.begin(), shard.bytes.end()));
  }
  return out;
}

}  // namespace cairn::erasure
