#include "core/cas/digest.h"

#include <openssl/evp.h>

#include <charconv>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace cairn::cas {
namespace {

constexpr std::string_view kPrefix = "sha256:";
constexpr char kHexDigits[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // uppercase is rejected too: the text form is canonical
}

absl::Status bad(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("digest \"", absl::string_view(text.data(), std::min<size_t>(text.size(), 100)),
                   "\": ", absl::string_view(why.data(), why.size())));
}

absl::StatusOr<uint64_t> parse_size(std::string_view text, std::string_view digits) {
  if (digits.empty()) return bad(text, "missing size after the second ':'");
  if (digits.size() > 1 && digits[0] == '0') return bad(text, "size has a leading zero");
  uint64_t value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error == std::errc::result_out_of_range) return bad(text, "size exceeds 64 bits");
  if (error != std::errc() || end != digits.data() + digits.size()) {
    return bad(text, "size must be decimal digits");
  }
  return value;
}

}  // namespace

struct Digester::Context {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Context() { EVP_MD_CTX_free(ctx); }
};

Digester::Digester() : context_(std::make_unique<Context>()) {
  CAIRN_ASSERT(context_->ctx != nullptr);
  const int ok = EVP_DigestInit_ex(context_->ctx, EVP_sha256(), nullptr);
  CAIRN_ASSERT(ok == 1);
}

Digester::~Digester() = default;

void Digester::update(absl::Span<const uint8_t> bytes) {
  CAIRN_ASSERT(!finished_);
  const int ok = EVP_DigestUpdate(context_->ctx, bytes.data(), bytes.size());
  CAIRN_ASSERT(ok == 1);
  size_bytes_ += bytes.size();
}

Digest Digester::finish() {
  CAIRN_ASSERT(!finished_);
  finished_ = true;
  Digest::Hash hash;
  unsigned int len = 0;
  const int ok = EVP_DigestFinal_ex(context_->ctx, hash.data(), &len);
  CAIRN_ASSERT(ok == 1);
  CAIRN_ASSERT(len == Digest::kHashBytes);
  return Digest(hash, size_bytes_);
}

Digest Digest::of(absl::Span<const uint8_t> bytes) {
  Hash hash;
  unsigned int len = 0;
  const int ok = EVP_Digest(bytes.data(), bytes.size(), hash.data(), &len, EVP_sha256(), nullptr);
  CAIRN_ASSERT(ok == 1);
  CAIRN_ASSERT(len == kHashBytes);
  return Digest(hash, bytes.size());
}

std::string Digest::format() const {
  std::string text(kPrefix);
  text.reserve(kPrefix.size() + 2 * kHashBytes + 21);
  for (uint8_t b : hash_) {
    text.push_back(kHexDigits[b >> 4]);
    text.push_back(kHexDigits[b & 0xF]);
  }
  absl::StrAppend(&text, ":", size_bytes_);
  return text;
}

absl::StatusOr<Digest> Digest::parse(std::string_view text) {
  if (text.substr(0, kPrefix.size()) != kPrefix) return bad(text, "must start with \"sha256:\"");
  const std::string_view rest = text.substr(kPrefix.size());
  const size_t colon = rest.find(':');
  if (colon == std::string_view::npos) return bad(text, "missing ':' before the size");
  if (colon != 2 * kHashBytes) {
    return bad(text, absl::StrCat("hash must be 64 hex digits, got ", colon));
  }
  Hash hash;
  for (size_t i = 0; i < kHashBytes; ++i) {
    const int hi = hex_value(rest[2 * i]);
    const int lo = hex_value(rest[2 * i + 1]);
    if (hi < 0 || lo < 0) return bad(text, "hash must be lowercase hex digits");
    hash[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  auto size = parse_size(text, rest.substr(colon + 1));
  if (!size.ok()) return size.status();
  return Digest(hash, *size);
}

uint64_t Digest::prefix64() const {
  uint64_t key = 0;
  for (size_t i = 0; i < 8; ++i) key |= uint64_t{hash_[i]} << (8 * i);
  return key;
}

}  // namespace cairn::cas
