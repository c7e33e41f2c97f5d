#include "core/meta/paths.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace cairn::meta {
namespace {

// The length of the well-formed UTF-8 sequence starting at s[i], or 0 if there is none
// (overlong forms, surrogates and code points past U+10FFFF are not well-formed).
size_t utf8_sequence(absl::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b = byte(i);
  if (b < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

bool is_utf8(absl::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

absl::Status invalid(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("invalid path ", quoted(text), ": ", why));
}

}  // namespace

const std::string& Path::name() const {
  CAIRN_ASSERT(!parts_.empty());
  return parts_.back();
}

std::string Path::text() const { return prefix(parts_.size()); }

std::string Path::prefix(size_t depth) const {
  CAIRN_ASSERT(depth <= parts_.size());
  if (depth == 0) return "/";
  std::string out;
  for (size_t i = 0; i < depth; ++i) absl::StrAppend(&out, "/", parts_[i]);
  return out;
}

bool Path::is_below(const Path& ancestor) const {
  return parts_.size() > ancestor.parts_.size() &&
         std::equal(ancestor.parts_.begin(), ancestor.parts_.end(), parts_.begin());
}

absl::Status check_name(absl::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("an empty name");
  if (name.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("a name of ", name.size(), " bytes (at most ", kMaxNameBytes, ")"));
  }
  if (name == "." || name == "..") {
    return absl::InvalidArgumentError(absl::StrCat("the name ", quoted(name)));
  }
  if (name.find('/') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("the name ", quoted(name), " holds '/'"));
  }
  if (name.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("the name ", quoted(name), " holds NUL"));
  }
  if (!is_utf8(name)) {
    return absl::InvalidArgumentError(absl::StrCat("the name ", quoted(name), " is not UTF-8"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Path> parse_path(absl::string_view text) {
  if (text.size() > kMaxPathBytes) {
    return invalid(text.substr(0, 64),
                   absl::StrCat(text.size(), " bytes (at most ", kMaxPathBytes, ")"));
  }
  if (text.empty() || text[0] != '/') return invalid(text, "not absolute");
  if (text == "/") return Path();
  absl::string_view body = text.substr(1);
  if (body.back() == '/') body.remove_suffix(1);  // one trailing '/' is ignored
  std::vector<std::string> parts;
  for (absl::string_view rest = body;;) {
    const size_t slash = rest.find('/');
    const absl::string_view name = rest.substr(0, slash);
    if (absl::Status st = check_name(name); !st.ok()) {
      return invalid(text,
                     name.empty() ? std::string("an empty component") : std::string(st.message()));
    }
    parts.emplace_back(name);
    if (slash == absl::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  CAIRN_ASSERT(!parts.empty());
  return Path(std::move(parts));
}

std::string quoted(absl::string_view text) {
  return absl::StrCat("\"", absl::Utf8SafeCHexEscape(absl::string_view(text.data(), text.size())),
                      "\"");
}

}  // namespace cairn::meta
