#include "runtime-real/host/posix_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base/assert.h"

namespace cairn::real {
namespace {

std::string parent_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, std::max<size_t>(slash, 1));
}

absl::Status fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return errno_status(errno, "open " + path);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  return rc == 0 ? absl::OkStatus() : errno_status(err, "fsync " + path);
}

absl::Status write_fd(int fd, std::string_view bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_status(errno, "write " + path);
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

void list_into(const std::string& dir, const std::string& rel, std::vector<std::string>* out) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    const std::string child = dir + "/" + n;
    const std::string child_rel = rel.empty() ? n : rel + "/" + n;
    struct stat st {};
    if (::lstat(child.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      list_into(child, child_rel, out);
    } else if (S_ISREG(st.st_mode)) {
      out->push_back(child_rel);
    }
  }
  ::closedir(d);
}

}  // namespace

absl::Status errno_status(int err, const std::string& what) {
  const std::string text = absl::StrCat(what, ": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(text);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(text);
  if (err == ENOSPC || err == EDQUOT) return absl::ResourceExhaustedError(text);
  if (err == EIO) return absl::DataLossError(text);
  return absl::InternalError(text);
}

absl::StatusOr<std::string> PosixFiles::path_for(const std::string& name) const {
  if (name.empty() || name.front() == '/' || name.back() == '/') {
    return absl::InvalidArgumentError(absl::StrCat("bad file name \"", name, "\""));
  }
  for (absl::string_view part : absl::StrSplit(name, '/')) {
    if (part.empty() || part == "." || part == "..") {
      return absl::InvalidArgumentError(absl::StrCat("bad file name \"", name, "\""));
    }
  }
  return root_ + "/" + name;
}

void PosixFiles::mark_dirty(const std::string& path) {
  std::lock_guard lock(mu_);
  dirty_dirs_.insert(parent_of(path));
}

absl::Status PosixFiles::make_parents(const std::string& path) {
  const std::string dir = parent_of(path);
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) return absl::OkStatus();
  if (absl::Status s = make_parents(dir); !s.ok()) return s;
  // The new directory's name lives in its parent. Marked before the mkdir: an operation
  // on another name that finds the directory made, and a sync_dir() after it, then
  // find the parent dirty too.
  mark_dirty(dir);
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {  // EEXIST: made concurrently
    return errno_status(errno, "mkdir " + dir);
  }
  return absl::OkStatus();
}

PosixFiles::Fd::~Fd() { ::close(fd); }

PosixFiles::~PosixFiles() = default;

size_t PosixFiles::open_files() const {
  std::lock_guard lock(mu_);
  return open_fds_.size();
}

size_t PosixFiles::read_files() const {
  std::lock_guard lock(mu_);
  return read_fds_.size();
}

PosixFiles::FdRef PosixFiles::find_fd(const FdTable& table, const std::string& path) const {
  std::lock_guard lock(mu_);
  auto it = table.find(path);
  return it == table.end() ? nullptr : it->second;
}

PosixFiles::FdRef PosixFiles::keep_fd(FdTable& table, const std::string& path, FdRef fd) const {
  std::lock_guard lock(mu_);
  auto [it, added] = table.emplace(path, fd);
  if (!added) return it->second;  // kept meanwhile by a concurrent reader: use that one
  // Bounded: drop another kept descriptor (any will do; reopening is only slower). One
  // still in use elsewhere stays open until its holder lets go.
  if (table.size() > kMaxOpenFiles)
    table.erase(it == table.begin() ? std::next(it) : table.begin());
  CAIRN_ASSERT(table.size() <= kMaxOpenFiles);
  return fd;
}

absl::StatusOr<int> PosixFiles::open_for_write(const std::string& path, int flags) {
  if (absl::Status s = make_parents(path); !s.ok()) return s;
  const bool existed = ::access(path.c_str(), F_OK) == 0;
  const int fd = ::open(path.c_str(), flags | O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return errno_status(errno, "open " + path);
  if (!existed) mark_dirty(path);
  return fd;
}

absl::StatusOr<PosixFiles::FdRef> PosixFiles::append_fd(const std::string& path) {
  if (FdRef kept = find_fd(open_fds_, path)) return kept;
  absl::StatusOr<int> fd = open_for_write(path, O_APPEND);
  if (!fd.ok()) return fd.status();
  return keep_fd(open_fds_, path, std::make_shared<const Fd>(*fd));
}

absl::StatusOr<PosixFiles::FdRef> PosixFiles::read_fd(const std::string& path) const {
  if (FdRef kept = find_fd(read_fds_, path)) return kept;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_status(errno, "open " + path);
  return keep_fd(read_fds_, path, std::make_shared<const Fd>(fd));
}

void PosixFiles::close_fd(const std::string& path) {
  std::lock_guard lock(mu_);
  open_fds_.erase(path);
  read_fds_.erase(path);
}

absl::Status PosixFiles::write(const std::string& name, std::string_view bytes) {
  auto path = path_for(name);
  if (!path.ok()) return path.status();
  close_fd(*path);  // one rule for every change of what a name holds: drop the kept fd
  const bool existed = ::access(path->c_str(), F_OK) == 0;
  absl::StatusOr<int> fd = open_for_write(*path, 0);
  if (!fd.ok()) return fd.status();
  // Reserve every block first, so that a disk too full for the new contents fails here,
  // with the old contents in place; then overwrite and cut to the new size.
  absl::Status s = absl::OkStatus();
  if (!bytes.empty() &&
      ::fallocate(*fd, FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(bytes.size())) != 0 &&
      errno != EOPNOTSUPP) {
    s = errno_status(errno, "fallocate " + *path);
  }
  size_t done = 0;
  while (s.ok() && done < bytes.size()) {
    const ssize_t n =
        ::pwrite(*fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) s = errno_status(errno, "write " + *path);
    if (n > 0) done += static_cast<size_t>(n);
  }
  if (s.ok() && ::ftruncate(*fd, static_cast<off_t>(bytes.size())) != 0) {
    s = errno_status(errno, "truncate " + *path);
  }
  ::close(*fd);
  if (!s.ok() && !existed) ::unlink(path->c_str());  // a failed write creates nothing
  return s;
}

absl::Status PosixFiles::append(const std::string& name, std::string_view bytes) {
  auto path = path_for(name);
  if (!path.ok()) return path.status();
  const bool existed = find_fd(open_fds_, *path) != nullptr || ::access(path->c_str(), F_OK) == 0;
  absl::StatusOr<FdRef> fd = append_fd(*path);
  if (!fd.ok()) return fd.status();
  const int f = (*fd)->fd;
  struct stat st {};
  if (::fstat(f, &st) != 0) return errno_status(errno, "stat " + *path);
  absl::Status s = write_fd(f, bytes, *path);
  if (!s.ok()) {
    // Nothing appended, as disk.h promises (a full disk may have taken part of it).
    const bool cut = ::ftruncate(f, st.st_size) == 0;
    CAIRN_ASSERT(cut || !s.ok());
    close_fd(*path);
    if (!existed) ::unlink(path->c_str());
  }
  return s;
}

absl::Status PosixFiles::append_sync(const std::string& name, std::string_view bytes) {
  if (absl::Status s = append(name, bytes); !s.ok()) return s;
  return sync(name);
}

absl::StatusOr<std::string> PosixFiles::read(const std::string& name) const {
  auto path = path_for(name);
  if (!path.ok()) return path.status();
  absl::StatusOr<FdRef> fd = read_fd(*path);
  if (!fd.ok()) return fd.status();
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::pread((*fd)->fd, buf, sizeof buf, static_cast<off_t>(out.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_status(errno, "read " + *path);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

absl::StatusOr<std::string> PosixFiles::read_range(const std::string& name, uint64_t offset,
                                                   uint64_t length) const {
  std::string out;
  if (absl::Status s = read_range_into(name, offset, length, out); !s.ok()) return s;
  return out;
}

absl::Status PosixFiles::read_range_into(const std::string& name, uint64_t offset, uint64_t length,
                                         std::string& out) const {
  auto path = path_for(name);
  if (!path.ok()) return path.status();
  absl::StatusOr<FdRef> fd = read_fd(*path);
  if (!fd.ok()) return fd.status();
  const int f = (*fd)->fd;
  // OutOfRange unless the range lies within the file's current size.
  auto check_size = [&]() -> absl::Status {
    struct stat st {};
    if (::fstat(f, &st) != 0) return errno_status(errno, "stat " + *path);
    const auto size = static_cast<uint64_t>(st.st_size);
    if (offset <= size && length <= size - offset) return absl::OkStatus();
    return absl::OutOfRangeError(absl::StrCat("range [", offset, ", +", length, ") of \"", name,
                                              "\" is past its end (", size, " bytes)"));
  };
  // A usual range is one pread: the size is asked first only for an empty range (a pread
  // of 0 bytes checks nothing) and for one too large to allocate or to address blindly,
  // and otherwise only to explain a read that met the end of the file.
  constexpr uint64_t kAskFirst = uint64_t{1} << 30;
  if (length == 0 || length > kAskFirst || offset > kAskFirst * kAskFirst) {
    if (absl::Status s = check_size(); !s.ok()) return s;
  }
  out.resize(length);
  size_t done = 0;
  while (done < length) {
    const ssize_t n =
        ::pread(f, out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_status(errno, "read " + *path);
    if (n == 0) {
      if (absl::Status s = check_size(); !s.ok()) return s;
      return errno_status(EIO, "read " + *path);  // within the file, yet at its end: it changed
    }
    done += static_cast<size_t>(n);
  }
  CAIRN_ASSERT(out.size() == length);
  return absl::OkStatus();
}

absl::StatusOr<FileStat> PosixFiles::stat(const std::string& name) const {
  auto path = path_for(name);
  if (!path.ok()) return path.status();
  struct stat st {};
  if (::stat(path->c_str(), &st) != 0) return errno_status(errno, "stat " + *path);
  if (!S_ISREG(st.st_mode)) return absl::NotFoundError(absl::StrCat("not a file: ", *path));
  return FileStat{.size_bytes = static_cast<uint64_t>(st.st_size)};
}

absl::Status PosixFiles::sync(const std::string& name) {
  auto path = path_for(name);
  if (!path.ok()) return path.status();
  const FdRef kept = find_fd(open_fds_, *path);
  if (kept == nullptr) return fsync_path(*path, O_RDONLY);
  if (::fsync(kept->fd) == 0) return absl::OkStatus();
  const int err = errno;
  close_fd(*path);  // after a failed fsync the page cache is in doubt: start afresh
  return errno_status(err, "fsync " + *path);
}

absl::Status PosixFiles::rename(const std::string& from, const std::string& to) {
  auto src = path_for(from);
  if (!src.ok()) return src.status();
  auto dst = path_for(to);
  if (!dst.ok()) return dst.status();
  if (absl::Status s = make_parents(*dst); !s.ok()) return s;
  if (::rename(src->c_str(), dst->c_str()) != 0) return errno_status(errno, "rename " + *src);
  // `from` is gone and `to` names another inode now: neither kept descriptor fits.
  close_fd(*src);
  close_fd(*dst);
  mark_dirty(*src);
  mark_dirty(*dst);
  return absl::OkStatus();
}

absl::Status PosixFiles::remove(const std::string& name) {
  auto path = path_for(name);
  if (!path.ok()) return path.status();
  if (::unlink(path->c_str()) != 0) return errno_status(errno, "unlink " + *path);
  close_fd(*path);
  mark_dirty(*path);
  return absl::OkStatus();
}

absl::Status PosixFiles::sync_dir() {
  // Take the dirty set (what changed before now) and fsync outside the lock, so that
  // operations on other names go on meanwhile; what they dirty waits for the next call.
  std::set<std::string> dirs;
  {
    std::lock_guard lock(mu_);
    dirs.swap(dirty_dirs_);
  }
  dirs.insert(root_);
  // Deepest first is not required for correctness (each fsync covers one directory's
  // entries), but every directory on the way to a new one must be synced, and is listed.
  for (auto it = dirs.begin(); it != dirs.end(); ++it) {
    absl::Status s = fsync_path(*it, O_RDONLY | O_DIRECTORY);
    if (s.ok() || s.code() == absl::StatusCode::kNotFound) continue;  // NotFound: removed since
    std::lock_guard lock(mu_);
    dirty_dirs_.insert(it, dirs.end());  // not synced: the next call tries again
    return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> PosixFiles::list(const std::string& prefix) const {
  std::vector<std::string> all;
  list_into(root_, "", &all);
  std::vector<std::string> out;
  for (auto& n : all) {
    if (n.starts_with(prefix)) out.push_back(std::move(n));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace cairn::real

namespace cairn::real {

absl::StatusOr<std::vector<DirEntry>> PosixFiles::list_dir(const std::string& dir) const {
  std::string path = root_;
  if (!dir.empty()) {
    auto p = path_for(dir);
    if (!p.ok()) return p.status();
    path = *p;
  }
  std::vector<DirEntry> out;
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return out;  // holds nothing
    return errno_status(errno, "opendir " + path);
  }
  while (dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    struct stat st {};
    if (::lstat((path + "/" + n).c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) out.push_back({n, S_ISDIR(st.st_mode)});
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const DirEntry& a, const DirEntry& b) {
    return a.name != b.name ? a.name < b.name : a.is_dir < b.is_dir;
  });
  return out;
}

absl::StatusOr<DiskSpace> PosixFiles::space() const {
  struct statvfs v {};
  if (::statvfs(root_.c_str(), &v) != 0) return errno_status(errno, "statvfs " + root_);
  const uint64_t unit = v.f_frsize;
  DiskSpace out{.capacity_bytes = v.f_blocks * unit,
                .free_bytes = v.f_bavail * unit,
                .used_bytes = (v.f_blocks - v.f_bfree) * unit};
  CAIRN_ASSERT(out.used_bytes + out.free_bytes <= out.capacity_bytes);
  return out;
}

}  // namespace cairn::real
