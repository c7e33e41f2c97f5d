// StripeEncoder: the coordinator's encode path (placeholder with the final interface).
#pragma once

#include <cstddef>
#include <vector>

#include "core/erasure/codec.h"
#include "core/erasure/stripe.h"
#include "core/runtime/message.h"

namespace cairn::erasure {

struct EncodedChunk {
  StripeLayout layout;
  std::vector<cairn::Payload> shards;
};

class StripeEncoder {
 public:
  explicit StripeEncoder(const Codec& codec, size_t max_pooled_buffers = 16)
      : codec_(codec), max_pooled_buffers_(max_pooled_buffers) {}
  EncodedChunk encode(const cairn::Payload& chunk);

 private:
  const Codec& codec_;
  size_t max_pooled_buffers_;
};

}  // namespace cairn::erasure
