#include "core/wire/crc32c.h"

#include <array>
#include <climits>

#include "isa-l/crc.h"

namespace cairn::wire {
namespace {

// Reflected Castagnoli polynomial.
constexpr uint32_t kPolynomial = 0x82F63B78u;

constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1u) ? (c >> 1) ^ kPolynomial : c >> 1;
    table[i] = c;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kTable = make_table();

// a * b modulo the polynomial, both in the reflected bit order (bit 31 is x^0).
constexpr uint32_t multiply_mod(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (uint32_t m = 1u << 31; m != 0; m >>= 1) {
    if (a & m) product ^= b;
    b = (b & 1u) ? (b >> 1) ^ kPolynomial : b >> 1;
  }
  return product;
}

// kPowers[k] = x^(2^k) modulo the polynomial.
constexpr std::array<uint32_t, 64> make_powers() {
  std::array<uint32_t, 64> powers{};
  uint32_t p = 1u << 30;  // x^1
  for (auto& power : powers) {
    power = p;
    p = multiply_mod(p, p);
  }
  return powers;
}

constexpr std::array<uint32_t, 64> kPowers = make_powers();

}  // namespace

uint32_t crc32c(const void* data, size_t size, uint32_t crc) {
  // ISA-L works on the raw register (no pre/post inversion) and takes an int length.
  auto* p = static_cast<unsigned char*>(const_cast<void*>(data));
  uint32_t reg = ~crc;
  while (size > 0) {
    const size_t piece = size > static_cast<size_t>(INT_MAX / 2) ? INT_MAX / 2 : size;
    reg = crc32_iscsi(p, static_cast<int>(piece), reg);
    p += piece;
    size -= piece;
  }
  return ~reg;
}

uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t size_b) {
  // Appending |b| bytes multiplies a's CRC by x^(8 |b|); the pre- and post-inversions of
  // the two CRCs cancel (the standard result for CRCs with an all-ones start and end).
  uint32_t shift = 1u << 31;  // x^0
  uint64_t bits = size_b;
  for (int k = 3; bits != 0; bits >>= 1, ++k) {  // 8 |b| = |b| << 3
    if (bits & 1u) shift = multiply_mod(kPowers[k], shift);
  }
  return multiply_mod(shift, crc_a) ^ crc_b;
}

uint32_t crc32c_portable(const void* data, size_t size, uint32_t crc) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t reg = ~crc;
  for (size_t i = 0; i < size; ++i) reg = (reg >> 8) ^ kTable[(reg ^ p[i]) & 0xFFu];
  return ~reg;
}

}  // namespace cairn::wire
