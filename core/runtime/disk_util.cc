#include "core/runtime/disk_util.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace cairn {

absl::Status check_storable(const std::string& name, const Payload& bytes) {
  if (bytes.virtual_bytes == 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("cannot store a virtual payload (",
                                                 bytes.virtual_bytes, " bytes of length only) in '",
                                                 name, "'"));
}

std::string temp_name_for(const std::string& name) { return name + ".tmp"; }

void replace_atomically(Disk& disk, const std::string& name, Payload bytes, Disk::Done done) {
  CAIRN_ASSERT(done != nullptr);
  CAIRN_ASSERT(!name.empty());
  const std::string tmp = temp_name_for(name);
  disk.write(tmp, std::move(bytes), [&disk, name, tmp, done = std::move(done)](absl::Status s1) {
    if (!s1.ok()) return done(s1);
    disk.sync(tmp, [&disk, name, tmp, done = std::move(done)](absl::Status s2) {
      if (!s2.ok()) return done(s2);
      disk.rename(tmp, name, [&disk, done = std::move(done)](absl::Status s3) {
        if (!s3.ok()) return done(s3);
        disk.sync_dir(std::move(done));
      });
    });
  });
}

namespace {

// One step of append_pieces(): appends the next piece, then schedules itself again from
// the completion (never recursing on the stack: completions run later).
// The first step always appends (an empty piece for an empty blob, which creates the
// file), so that `done` never runs before append_pieces() returns.
void append_next(Disk& disk, std::shared_ptr<const std::string> name,
                 std::shared_ptr<NextPiece> next, bool first, Disk::Done done) {
  std::optional<Payload> piece = (*next)();
  if (!piece.has_value() && !first) return done(absl::OkStatus());
  if (!piece.has_value()) piece = Payload();
  disk.append(*name, std::move(*piece),
              [&disk, name, next, done = std::move(done)](absl::Status st) mutable {
                if (!st.ok()) return done(st);
                append_next(disk, name, next, /*first=*/false, std::move(done));
              });
}

}  // namespace

void append_pieces(Disk& disk, const std::string& name, NextPiece next, Disk::Done done) {
  CAIRN_ASSERT(next != nullptr);
  CAIRN_ASSERT(done != nullptr);
  append_next(disk, std::make_shared<const std::string>(name),
              std::make_shared<NextPiece>(std::move(next)), /*first=*/true, std::move(done));
}

}  // namespace cairn
