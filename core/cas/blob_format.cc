#include "core/cas/blob_format.h"

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base/assert.h"
#include "core/wire/crc32c.h"

namespace cairn::cas {
namespace {

constexpr char kMagic[4] = {'C', 'S', 'B', '1'};
constexpr char kVirtualMagic[4] = {'C', 'S', 'V', '1'};

void store_u32(uint32_t v, std::string* out) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// "<64 hex>-<size>"
std::string leaf(const Digest& digest) {
  std::string text = digest.format();  // sha256:<hex>:<size>
  const size_t hex_at = text.find(':') + 1;
  const size_t size_at = text.rfind(':');
  CAIRN_ASSERT(size_at - hex_at == 2 * Digest::kHashBytes);
  return absl::StrCat(text.substr(hex_at, size_at - hex_at), "-", text.substr(size_at + 1));
}

}  // namespace

uint64_t block_count(uint64_t size_bytes) { return (size_bytes + kBlockBytes - 1) / kBlockBytes; }

uint64_t file_bytes_for(uint64_t size_bytes) {
  return size_bytes + kCrcBytes * block_count(size_bytes) + kFooterBytes;
}

std::string blob_name(const std::string& root, const Digest& digest) {
  const std::string l = leaf(digest);
  return absl::StrCat(root, "/", l.substr(0, 2), "/", l.substr(2, 2), "/", l);
}

std::string quarantine_name(const std::string& root, const Digest& digest) {
  return absl::StrCat(root, "/quarantine/", leaf(digest));
}

std::string tmp_dir(const std::string& root) { return absl::StrCat(root, "/tmp"); }

std::optional<Digest> digest_from_blob_name(const std::string& root, std::string_view name) {
  std::vector<std::string> parts = absl::StrSplit(absl::string_view(name.data(), name.size()), '/');
  if (parts.size() != 4 || parts[0] != root) return std::nullopt;
  std::vector<std::string> hex_size = absl::StrSplit(parts[3], '-');
  if (hex_size.size() != 2) return std::nullopt;
  absl::StatusOr<Digest> d = Digest::parse(absl::StrCat("sha256:", hex_size[0], ":", hex_size[1]));
  if (!d.ok()) return std::nullopt;
  // Only the canonical spelling at the right fan-out place names a blob.
  if (blob_name(root, *d) != name) return std::nullopt;
  return *d;
}

namespace {

void append_footer(const char (&magic)[4], uint32_t table_crc, std::string* out) {
  const size_t footer_at = out->size();
  out->append(magic, sizeof(magic));
  store_u32(static_cast<uint32_t>(kBlockBytes), out);
  store_u32(table_crc, out);
  store_u32(wire::crc32c(out->data() + footer_at, 12), out);
  CAIRN_ASSERT(out->size() == footer_at + kFooterBytes);
}

}  // namespace

std::string encode_virtual_footer() {
  std::string out;
  append_footer(kVirtualMagic, 0, &out);
  return out;
}

bool footer_is_virtual(std::string_view footer) {
  CAIRN_ASSERT(footer.size() == kFooterBytes);
  return std::memcmp(footer.data(), kVirtualMagic, sizeof(kVirtualMagic)) == 0;
}

std::string encode_trailer(const std::vector<uint32_t>& block_crcs) {
  std::string out;
  out.reserve(kCrcBytes * block_crcs.size() + kFooterBytes);
  for (uint32_t crc : block_crcs) store_u32(crc, &out);
  append_footer(kMagic, wire::crc32c(out.data(), out.size()), &out);
  CAIRN_ASSERT(out.size() == kCrcBytes * block_crcs.size() + kFooterBytes);
  return out;
}

absl::Status check_footer(std::string_view footer) {
  if (footer.size() != kFooterBytes) {
    return absl::DataLossError(absl::StrCat("footer of ", footer.size(), " bytes"));
  }
  if (std::memcmp(footer.data(), kMagic, sizeof(kMagic)) != 0 &&
      std::memcmp(footer.data(), kVirtualMagic, sizeof(kVirtualMagic)) != 0) {
    return absl::DataLossError("bad footer magic");
  }
  if (load_u32(footer.data() + 12) != wire::crc32c(footer.data(), 12)) {
    return absl::DataLossError("footer checksum mismatch");
  }
  if (load_u32(footer.data() + 4) != kBlockBytes) {
    return absl::DataLossError(
        absl::StrCat("unsupported block size ", load_u32(footer.data() + 4)));
  }
  return absl::OkStatus();
}

uint32_t load_u32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

void add_block_crcs(std::string_view bytes, std::vector<uint32_t>* crcs, uint32_t* open_crc,
                    uint64_t* open_fill) {
  CAIRN_ASSERT(*open_fill < kBlockBytes);
  while (!bytes.empty()) {
    const uint64_t take = std::min<uint64_t>(bytes.size(), kBlockBytes - *open_fill);
    *open_crc = wire::crc32c(bytes.data(), take, *open_crc);
    *open_fill += take;
    bytes.remove_prefix(take);
    if (*open_fill == kBlockBytes) {
      crcs->push_back(*open_crc);
      *open_crc = 0;
      *open_fill = 0;
    }
  }
  CAIRN_ASSERT(*open_fill < kBlockBytes);
}

}  // namespace cairn::cas
