// Synchronous POSIX file operations under one root directory, with real durability:
// fsync for contents, fsync of the parent directories for names. FileDisk runs these on
// the worker pool; nothing here knows about Asio or the Runtime.
//
// Names are relative paths ("membership/incarnation"); "..", empty parts and absolute
// paths are InvalidArgument. Parent directories are created on demand. rename() is
// rename(2), atomic on POSIX file systems. sync_dir() fsyncs every directory whose
// entries changed since the last sync_dir() (and, for a new directory, its parent too).
// Not thread-safe: the caller runs one operation at a time.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cairn::real {

class PosixFiles {
 public:
  explicit PosixFiles(std::string root) : root_(std::move(root)) {}

  absl::Status write(const std::string& name, const std::string& bytes);
  absl::Status append(const std::string& name, const std::string& bytes);
  absl::StatusOr<std::string> read(const std::string& name) const;
  absl::Status sync(const std::string& name);
  absl::Status rename(const std::string& from, const std::string& to);
  absl::Status remove(const std::string& name);
  absl::Status sync_dir();
  absl::StatusOr<std::vector<std::string>> list(const std::string& prefix) const;

  const std::string& root() const { return root_; }

 private:
  absl::StatusOr<std::string> path_for(const std::string& name) const;
  absl::Status make_parents(const std::string& path);
  absl::Status write_all(const std::string& name, const std::string& bytes, int flags);
  void mark_dirty(const std::string& path);

  std::string root_;
  std::set<std::string> dirty_dirs_;
};

// Errno as a status: ENOENT -> NotFound, ENOSPC/EDQUOT -> ResourceExhausted, else Internal.
absl::Status errno_status(int err, const std::string& what);

}  // namespace cairn::real
