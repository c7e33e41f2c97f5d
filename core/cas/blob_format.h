// The on-disk layout of the shard store (shard_store.h): file names and the blob file's
// checksum trailer. Pure functions, no I/O.
//
// Names (relative to the store's root directory, "cas" by default):
//   <root>/<h0h1>/<h2h3>/<64 hex>-<size>   a blob, fanned out by its first two hash bytes
//   <root>/tmp/<n>                          a put in progress (removed at start-up)
//   <root>/quarantine/<64 hex>-<size>       a blob that failed verification (never served)
//
// A blob file is the blob's bytes, then a trailer:
//   data        size bytes, at offset 0 (so a range of the blob is a range of the file)
//   crc table   one little-endian uint32 CRC32C per block of kBlockBytes (the last block
//               may be short; an empty blob has no blocks)
//   footer      16 bytes: magic "CSB1", block size (u32 LE), CRC32C of the crc table
//               (u32 LE), CRC32C of the footer's first 12 bytes (u32 LE)
// A range read checks only the CRCs of the blocks it touches; the SHA-256 of the whole
// blob (its name) is checked when it is put and by the scrubber.
//
// A virtual blob (the simulator's length-only payloads, shard_store.h) has the same
// layout and size, but its data and crc table are virtual bytes (a length on a simulated
// disk) and its footer is real, with magic "CSV1" and a table CRC of 0: the footer says
// which kind a blob file is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/cas/digest.h"

namespace cairn::cas {

inline constexpr uint64_t kBlockBytes = 64 * 1024;
inline constexpr uint64_t kFooterBytes = 16;
inline constexpr uint64_t kCrcBytes = 4;

// Blocks of a blob of `size_bytes` (0 for an empty blob).
uint64_t block_count(uint64_t size_bytes);
// Bytes of the whole blob file: data, crc table and footer.
uint64_t file_bytes_for(uint64_t size_bytes);

std::string blob_name(const std::string& root, const Digest& digest);
std::string quarantine_name(const std::string& root, const Digest& digest);
std::string tmp_dir(const std::string& root);
// The digest a blob file's name encodes, or nullopt if `name` is not a blob name under
// `root` (a temporary, a quarantined blob, or a stranger).
std::optional<Digest> digest_from_blob_name(const std::string& root, std::string_view name);

// The trailer (crc table + footer) for the given per-block CRCs.
std::string encode_trailer(const std::vector<uint32_t>& block_crcs);
// The footer of a virtual blob file.
std::string encode_virtual_footer();
// Checks a footer read from the end of a blob file. DataLoss naming the fault.
absl::Status check_footer(std::string_view footer);
// Whether a footer that passed check_footer() is a virtual blob's.
bool footer_is_virtual(std::string_view footer);

uint32_t load_u32(const char* p);

// CRC32C of each block of `bytes`, continuing an incremental computation: the CRC of the
// block being filled is `*open_crc` with `*open_fill` bytes in it.
void add_block_crcs(std::string_view bytes, std::vector<uint32_t>* crcs, uint32_t* open_crc,
                    uint64_t* open_fill);

}  // namespace cairn::cas
