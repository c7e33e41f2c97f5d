// Deterministic pseudo-random bytes for tests: the same (size, seed) always gives the same
// buffer, so a failing property case replays exactly.
#pragma once

#include <cstdint>
#include <vector>

#include "core/runtime/rng.h"

namespace cairn {

inline std::vector<uint8_t> random_bytes(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<uint8_t> bytes(n);
  for (size_t i = 0; i < n; i += 8) {
    uint64_t word = rng.next();
    for (size_t j = i; j < n && j < i + 8; ++j, word >>= 8) bytes[j] = static_cast<uint8_t>(word);
  }
  return bytes;
}

}  // namespace cairn
