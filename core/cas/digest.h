// Content addresses: a chunk's name is the SHA-256 of its bytes together with its length.
//
// Promises: the same bytes always give the same Digest; the text form
// "sha256:<64 lowercase hex>:<decimal size>" is canonical, so format() and parse() are
// exact inverses, and parse() rejects anything else with InvalidArgument naming the fault.
// Carrying the size lets a reader check length before hashing and size buffers up front.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace cairn::cas {

class Digest {
 public:
  static constexpr size_t kHashBytes = 32;
  using Hash = std::array<uint8_t, kHashBytes>;

  Digest() = default;
  Digest(const Hash& hash, uint64_t size_bytes) : hash_(hash), size_bytes_(size_bytes) {}

  // SHA-256 of `bytes` through OpenSSL's EVP interface.
  static Digest of(absl::Span<const uint8_t> bytes);
  static Digest of(std::string_view bytes) {
    return of({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  }
  static absl::StatusOr<Digest> parse(std::string_view text);

  std::string format() const;
  const Hash& hash() const { return hash_; }
  uint64_t size_bytes() const { return size_bytes_; }
  // The first 8 hash bytes, little-endian: a well-mixed key for rings and hash maps.
  uint64_t prefix64() const;

  friend bool operator==(const Digest&, const Digest&) = default;
  friend auto operator<=>(const Digest&, const Digest&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const Digest& d) {
    return H::combine(std::move(h), d.hash_, d.size_bytes_);
  }

 private:
  Hash hash_{};
  uint64_t size_bytes_ = 0;
};

// Incremental digesting, for bytes that arrive in pieces. Not copyable (owns an EVP
// context); finish() may be called once.
class Digester {
 public:
  Digester();
  ~Digester();
  Digester(const Digester&) = delete;
  Digester& operator=(const Digester&) = delete;

  void update(absl::Span<const uint8_t> bytes);
  Digest finish();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
  uint64_t size_bytes_ = 0;
  bool finished_ = false;
};

}  // namespace cairn::cas
