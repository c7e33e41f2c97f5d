#include "core/kv/kv_limits.h"

#include "absl/strings/str_cat.h"
#include "core/raft/types.h"
#include "core/wire/frame.h"

namespace cairn::kv {

// A cas at every limit, its session fields and a Raft append's own fields (a few dozen
// bytes) must fit one frame header.
static_assert(kMaxKeyBytes + 2 * kMaxValueBytes + (64 << 10) <=
              cairn::wire::FrameLimits{}.max_header_bytes);
// And Raft must take it as one entry.
static_assert(kMaxKeyBytes + 2 * kMaxValueBytes + (64 << 10) <= raft::Config{}.max_entry_bytes);

namespace {

absl::Status over(const char* field, size_t bytes, size_t limit) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, " of ", bytes, " bytes is over the limit of ", limit, " bytes"));
}

}  // namespace

absl::Status check_limits(const wire::KvCommand& c) {
  if (c.key().size() > kMaxKeyBytes) return over("key", c.key().size(), kMaxKeyBytes);
  if (c.value().size() > kMaxValueBytes) return over("value", c.value().size(), kMaxValueBytes);
  if (c.expected().size() > kMaxValueBytes) {
    return over("expected value", c.expected().size(), kMaxValueBytes);
  }
  return absl::OkStatus();
}

}  // namespace cairn::kv
