// Namespace paths (core/meta): parsing and checking the path strings that commands and
// queries carry, so that the namespace tree only ever sees valid, canonical paths.
//
// Promises (namespace.proto's rules): a path is absolute, '/'-separated, well-formed
// UTF-8; "/" is the root; every component is 1..255 bytes, not "." or "..", and holds no
// '/' or NUL; the whole path is at most 4096 bytes; one trailing '/' is accepted and
// ignored ("/a/" is "/a"; "/a//" is not a path). Anything else is InvalidArgument naming
// the path and the fault.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cairn::meta {

inline constexpr size_t kMaxPathBytes = 4096;
inline constexpr size_t kMaxNameBytes = 255;

class Path {
 public:
  Path() = default;  // the root
  explicit Path(std::vector<std::string> parts) : parts_(std::move(parts)) {}

  const std::vector<std::string>& parts() const { return parts_; }
  bool is_root() const { return parts_.empty(); }
  // The last component. REQUIRES: !is_root().
  const std::string& name() const;
  // The canonical text: "/" or "/a/b" (no trailing '/').
  std::string text() const;
  // The text of the first `depth` components ("/" for 0).
  std::string prefix(size_t depth) const;
  // True if this path lies strictly below `ancestor` ("/a/b" is below "/a" and "/").
  bool is_below(const Path& ancestor) const;

  friend bool operator==(const Path&, const Path&) = default;

 private:
  std::vector<std::string> parts_;
};

absl::StatusOr<Path> parse_path(absl::string_view text);

// Checks one component (a directory entry's name) by the rules above.
absl::Status check_name(absl::string_view name);

// `text` in double quotes, with bytes that are not printable UTF-8 escaped: for messages.
std::string quoted(absl::string_view text);

}  // namespace cairn::meta
