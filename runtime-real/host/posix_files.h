// Synchronous POSIX file operations under one root directory, with real durability:
// fsync for contents, fsync of the parent directories for names. FileDisk runs these on
// its I/O threads; nothing here knows about Asio or the Runtime.
//
// Names are relative paths ("membership/incarnation"); "..", empty parts and absolute
// paths are InvalidArgument. Parent directories are created on demand. rename() is
// rename(2), atomic on POSIX file systems. sync_dir() fsyncs every directory whose
// entries changed before it started (and, for a new directory, its parent too).
// append(), sync() and append_sync() use a write descriptor kept open per file, and
// read() and read_range() a read descriptor kept open per file (at most kMaxOpenFiles
// of each), so a log append costs no open() and a range read is one pread(). Both are
// closed when the name is renamed (either side), removed or rewritten, so an operation
// always reaches the file the name holds now. "Synced" means fsync(2) returned 0.
// Space: write() reserves the blocks it needs (fallocate) before touching the file, and
// append() truncates back what it added if it fails, so a write that does not fit fails
// with ResourceExhausted and leaves the file as it was (disk.h's promise). After any
// other I/O error in the middle of a write() the file's contents are undefined.
//
// Threads: operations may run concurrently from several threads as long as no two of
// them touch the same name while one of them changes it (write, append, append_sync,
// sync, rename, remove), and list() and list_dir() run alone with respect to those
// changes; reads of one name may overlap. FileDisk's scheduler keeps to that. The tables
// of kept descriptors and of dirty directories are guarded by a mutex, and a kept
// descriptor is reference-counted, so evicting it never closes it under another thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/runtime/disk.h"

namespace cairn::real {

class PosixFiles {
 public:
  static constexpr size_t kMaxOpenFiles = 32;

  explicit PosixFiles(std::string root) : root_(std::move(root)) {}
  ~PosixFiles();
  PosixFiles(const PosixFiles&) = delete;
  PosixFiles& operator=(const PosixFiles&) = delete;

  absl::Status write(const std::string& name, std::string_view bytes);
  absl::Status append(const std::string& name, std::string_view bytes);
  absl::StatusOr<std::string> read(const std::string& name) const;
  // disk.h's contract: OutOfRange unless offset + length <= size (pread).
  absl::StatusOr<std::string> read_range(const std::string& name, uint64_t offset,
                                         uint64_t length) const;
  // read_range() into `out` (resized to `length`: a reused buffer of that size is not
  // zero-filled first).
  absl::Status read_range_into(const std::string& name, uint64_t offset, uint64_t length,
                               std::string& out) const;
  absl::StatusOr<FileStat> stat(const std::string& name) const;
  absl::Status sync(const std::string& name);
  // append() then fsync() on the same kept-open descriptor.
  absl::Status append_sync(const std::string& name, std::string_view bytes);
  absl::Status rename(const std::string& from, const std::string& to);
  absl::Status remove(const std::string& name);
  absl::Status sync_dir();
  absl::StatusOr<std::vector<std::string>> list(const std::string& prefix) const;
  // One level of `dir` ("" is the root), sorted; a missing directory lists as empty.
  absl::StatusOr<std::vector<DirEntry>> list_dir(const std::string& dir) const;
  // statvfs(3) of the file system holding the root.
  absl::StatusOr<DiskSpace> space() const;

  const std::string& root() const { return root_; }
  // Kept write (append) and read descriptors.
  size_t open_files() const;
  size_t read_files() const;

 private:
  // A kept descriptor; closed when the last holder lets go of it.
  struct Fd {
    explicit Fd(int f) : fd(f) {}
    ~Fd();
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    const int fd;
  };
  using FdRef = std::shared_ptr<const Fd>;
  using FdTable = std::map<std::string, FdRef>;  // by full path; at most kMaxOpenFiles

  absl::StatusOr<std::string> path_for(const std::string& name) const;
  absl::Status make_parents(const std::string& path);
  // Opens `path` for writing with `flags`, creating it and its parents if needed.
  absl::StatusOr<int> open_for_write(const std::string& path, int flags);
  void mark_dirty(const std::string& path);
  // The kept-open O_APPEND descriptor of `path`, opening (and creating) it if needed.
  absl::StatusOr<FdRef> append_fd(const std::string& path);
  // The kept-open O_RDONLY descriptor of `path`; NotFound if there is no such file.
  absl::StatusOr<FdRef> read_fd(const std::string& path) const;
  // The kept descriptor of `path` in `table`, if any.
  FdRef find_fd(const FdTable& table, const std::string& path) const;
  // Keeps `fd` for `path` (dropping another if the table is full); returns what is kept.
  FdRef keep_fd(FdTable& table, const std::string& path, FdRef fd) const;
  // Forgets both kept descriptors of `path` (they close once no operation holds them).
  void close_fd(const std::string& path);

  std::string root_;
  mutable std::mutex mu_;
  std::set<std::string> dirty_dirs_;  // guarded by mu_
  FdTable open_fds_;                  // guarded by mu_: write (O_APPEND) descriptors
  mutable FdTable read_fds_;          // guarded by mu_: read descriptors
};

// Errno as a status: ENOENT -> NotFound, EACCES/EPERM -> PermissionDenied,
// ENOSPC/EDQUOT -> ResourceExhausted, EIO ->
// DataLoss (the device could not read or write the bytes), else Internal.
absl::Status errno_status(int err, const std::string& what);

}  // namespace cairn::real
