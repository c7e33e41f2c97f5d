// File contents for real-node tests, made as they are read: byte p of file `index` under
// `seed` is a splitmix64 of (seed, index, p / 8), so any range of a file of any size can
// be produced (and its digest computed) without holding the file in memory.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "core/cas/digest.h"
#include "core/client/file_client.h"

namespace cairn::real::testing {

class SeededSource final : public client::ByteSource {
 public:
  SeededSource(uint64_t seed, uint64_t index, uint64_t size)
      : seed_(seed), index_(index), size_(size) {}
  uint64_t size() const override { return size_; }
  absl::StatusOr<Payload> read(uint64_t offset, uint64_t length) override {
    std::string out(length, '\0');
    for (uint64_t i = 0; i < length; ++i) {
      const uint64_t p = offset + i;
      if (i == 0 || p % 8 == 0) word_ = mix((seed_ ^ (index_ << 40)) + p / 8);
      out[i] = static_cast<char>(word_ >> (8 * (p % 8)));
    }
    return Payload(std::move(out));
  }

  // The SHA-256 of the whole file.
  cas::Digest digest() {
    cas::Digester d;
    constexpr uint64_t kStep = 8 << 20;
    for (uint64_t at = 0; at < size_; at += kStep) {
      Payload p = *read(at, std::min<uint64_t>(kStep, size_ - at));
      d.update({reinterpret_cast<const uint8_t*>(p.data()), p.view().size()});
    }
    return d.finish();
  }

 private:
  static uint64_t mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
  }
  uint64_t seed_, index_, size_;
  uint64_t word_ = 0;
};

}  // namespace cairn::real::testing
