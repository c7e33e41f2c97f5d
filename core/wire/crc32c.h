// CRC32C (Castagnoli, the iSCSI polynomial), the checksum of every frame on the wire.
//
// crc32c() uses ISA-L's crc32_iscsi, which picks the CPU's CRC32 instruction when it has
// one; crc32c_portable() is a table-driven fallback that gives bit-identical results (a
// test checks both against the standard check value and against each other). Both take
// and return the finished CRC, so a running checksum over pieces is
// crc32c(b, crc32c(a)) == crc32c(a ++ b), starting from 0. crc32c_combine() gives the CRC
// of a ++ b from the CRCs of a and b and the length of b without reading any bytes, so a
// checksum computed once (an erasure shard's) can be folded into a frame's.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cairn::wire {

// CRC32C of `size` bytes at `data`, continuing from `crc` (0 for a fresh checksum).
uint32_t crc32c(const void* data, size_t size, uint32_t crc = 0);
uint32_t crc32c_portable(const void* data, size_t size, uint32_t crc = 0);
// crc32c(a ++ b) from crc_a = crc32c(a), crc_b = crc32c(b) and size_b = |b|: a few hundred
// carry-less multiply steps, whatever the sizes.
uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t size_b);

}  // namespace cairn::wire
