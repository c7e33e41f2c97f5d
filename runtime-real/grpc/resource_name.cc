#include "runtime-real/grpc/resource_name.h"

#include <array>
#include <charconv>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cairn::real::reapi {
namespace {

constexpr std::array<std::string_view, 7> kReserved = {
    "blobs",      "uploads",      "actions",         "actionResults",
    "operations", "capabilities", "compressed-blobs"};

bool segment_ok(std::string_view s) {
  if (s.empty() || s.size() > 255 || s[0] == '.') return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  for (std::string_view r : kReserved) {
    if (s == r) return false;
  }
  return true;
}

std::vector<std::string_view> split(std::string_view text) {
  std::vector<std::string_view> out;
  for (absl::string_view p : absl::StrSplit(absl::string_view(text.data(), text.size()), '/')) {
    out.emplace_back(p.data(), p.size());
  }
  return out;
}

std::string join(const std::vector<std::string_view>& parts, size_t end) {
  std::string out;
  for (size_t i = 0; i < end; ++i) {
    if (i > 0) out += '/';
    out.append(parts[i]);
  }
  return out;
}

absl::StatusOr<int64_t> parse_size(std::string_view text) {
  int64_t v = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < 0) {
    return absl::InvalidArgumentError(absl::StrCat("'", absl::string_view(text.data(), text.size()),
                                                   "' is not a blob size (a decimal number >= 0)"));
  }
  return v;
}

// The instance before position `at` (where the reserved word stands) and the digest from
// parts[at + 1] and parts[at + 2].
absl::StatusOr<cas::Digest> digest_at(const std::vector<std::string_view>& parts, size_t at,
                                      std::string_view resource) {
  if (parts.size() < at + 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("resource name '", absl::string_view(resource.data(), resource.size()),
                     "' has no {hash}/{size} after 'blobs'"));
  }
  auto size = parse_size(parts[at + 2]);
  if (!size.ok()) return size.status();
  return to_digest(parts[at + 1], *size);
}

absl::StatusOr<std::string> instance_of(const std::vector<std::string_view>& parts, size_t at) {
  std::string instance = join(parts, at);
  auto dir = instance_dir(instance);
  if (!dir.ok()) return dir.status();
  return instance;
}

size_t find(const std::vector<std::string_view>& parts, std::string_view word) {
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] == word) return i;
  }
  return parts.size();
}

}  // namespace

absl::StatusOr<std::string> instance_dir(std::string_view instance) {
  if (instance.empty()) return std::string("/.reapi");
  if (instance.size() > 1024) {
    return absl::InvalidArgumentError("an instance name is at most 1024 bytes");
  }
  for (std::string_view s : split(instance)) {
    if (!segment_ok(s)) {
      return absl::InvalidArgumentError(
          absl::StrCat("instance name '", absl::string_view(instance.data(), instance.size()),
                       "': segment '", absl::string_view(s.data(), s.size()),
                       "' is empty, reserved, starts with '.' or holds characters other than "
                       "A-Z a-z 0-9 . _ -"));
    }
  }
  return absl::StrCat("/.reapi/", absl::string_view(instance.data(), instance.size()));
}

std::string blob_dir(const std::string& dir) { return dir + "/.cas"; }
std::string action_dir(const std::string& dir) { return dir + "/.ac"; }

std::string blob_path(const std::string& dir, const cas::Digest& d) {
  return absl::StrCat(blob_dir(dir), "/", hex_hash(d), "-", d.size_bytes());
}

std::string action_path(const std::string& dir, const cas::Digest& d) {
  return absl::StrCat(action_dir(dir), "/", hex_hash(d), "-", d.size_bytes());
}

absl::StatusOr<cas::Digest> to_digest(std::string_view hash, int64_t size_bytes) {
  if (size_bytes < 0) return absl::InvalidArgumentError("a digest's size_bytes is negative");
  bool hex = hash.size() == 64;
  for (char c : hash) hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!hex) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", absl::string_view(hash.data(), hash.size()),
                     "' is not a SHA-256 hash (64 lowercase hex digits)"));
  }
  return cas::Digest::parse(
      absl::StrCat("sha256:", absl::string_view(hash.data(), hash.size()), ":", size_bytes));
}

std::string hex_hash(const cas::Digest& d) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (uint8_t b : d.hash()) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

absl::StatusOr<BlobName> parse_read_name(std::string_view resource) {
  const auto parts = split(resource);
  const size_t at = find(parts, "blobs");
  if (at == parts.size()) {
    const bool compressed = find(parts, "compressed-blobs") != parts.size();
    return absl::InvalidArgumentError(
        absl::StrCat("resource name '", absl::string_view(resource.data(), resource.size()), "' ",
                     compressed ? "asks for compressed blobs, which this server does not offer"
                                : "is not [{instance}/]blobs/{hash}/{size}"));
  }
  auto instance = instance_of(parts, at);
  if (!instance.ok()) return instance.status();
  auto digest = digest_at(parts, at, resource);
  if (!digest.ok()) return digest.status();
  return BlobName{*instance, *digest};
}

absl::StatusOr<UploadName> parse_write_name(std::string_view resource) {
  const auto parts = split(resource);
  const size_t at = find(parts, "uploads");
  if (at == parts.size() || parts.size() < at + 3 || parts[at + 1].empty() ||
      parts[at + 2] != "blobs") {
    return absl::InvalidArgumentError(
        absl::StrCat("resource name '", absl::string_view(resource.data(), resource.size()),
                     "' is not [{instance}/]uploads/{uuid}/blobs/{hash}/{size}"));
  }
  auto instance = instance_of(parts, at);
  if (!instance.ok()) return instance.status();
  auto digest = digest_at(parts, at + 2, resource);
  if (!digest.ok()) return digest.status();
  return UploadName{*instance, std::string(parts[at + 1]), *digest};
}

}  // namespace cairn::real::reapi
