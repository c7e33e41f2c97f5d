#include "runtime-real/posix_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
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

absl::Status write_fd(int fd, const std::string& bytes, const std::string& path) {
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
  if (err == ENOSPC || err == EDQUOT) return absl::ResourceExhaustedError(text);
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

void PosixFiles::mark_dirty(const std::string& path) { dirty_dirs_.insert(parent_of(path)); }

absl::Status PosixFiles::make_parents(const std::string& path) {
  const std::string dir = parent_of(path);
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) return absl::OkStatus();
  if (absl::Status s = make_parents(dir); !s.ok()) return s;
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return errno_status(errno, "mkdir " + dir);
  mark_dirty(dir);  // the new directory's name lives in its parent
  return absl::OkStatus();
}

PosixFiles::~PosixFiles() {
  for (const auto& [path, fd] : open_fds_) ::close(fd);
}

absl::StatusOr<int> PosixFiles::open_for_write(const std::string& path, int flags) {
  if (absl::Status s = make_parents(path); !s.ok()) return s;
  const bool existed = ::access(path.c_str(), F_OK) == 0;
  const int fd = ::open(path.c_str(), flags | O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return errno_status(errno, "open " + path);
  if (!existed) mark_dirty(path);
  return fd;
}

absl::StatusOr<int> PosixFiles::append_fd(const std::string& path) {
  if (auto it = open_fds_.find(path); it != open_fds_.end()) return it->second;
  // Bounded: drop the first kept descriptor (any will do; reopening is only slower).
  if (open_fds_.size() >= kMaxOpenFiles) close_fd(open_fds_.begin()->first);
  absl::StatusOr<int> fd = open_for_write(path, O_APPEND);
  if (fd.ok()) open_fds_.emplace(path, *fd);
  CAIRN_ASSERT(open_fds_.size() <= kMaxOpenFiles);
  return fd;
}

void PosixFiles::close_fd(const std::string& path) {
  auto it = open_fds_.find(path);
  if (it == open_fds_.end()) return;
  ::close(it->second);
  open_fds_.erase(it);
}

absl::Status PosixFiles::write(const std::string& name, const std::string& bytes) {
  auto path = path_for(name);
  if (!path.ok()) return path.status();
  close_fd(*path);  // one rule for every change of what a name holds: drop the kept fd
  absl::StatusOr<int> fd = open_for_write(*path, O_TRUNC);
  if (!fd.ok()) return fd.status();
  absl::Status s = write_fd(*fd, bytes, *path);
  ::close(*fd);
  return s;
}

absl::Status PosixFiles::append(const std::string& name, const std::string& bytes) {
  auto path = path_for(name);
  if (!path.ok()) return path.status();
  absl::StatusOr<int> fd = append_fd(*path);
  if (!fd.ok()) return fd.status();
  absl::Status s = write_fd(*fd, bytes, *path);
  if (!s.ok()) close_fd(*path);
  return s;
}

absl::Status PosixFiles::append_sync(const std::string& name, const std::string& bytes) {
  if (absl::Status s = append(name, bytes); !s.ok()) return s;
  return sync(name);
}

absl::StatusOr<std::string> PosixFiles::read(const std::string& name) const {
  auto path = path_for(name);
  if (!path.ok()) return path.status();
  const int fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_status(errno, "open " + *path);
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return errno_status(err, "read " + *path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

absl::Status PosixFiles::sync(const std::string& name) {
  auto path = path_for(name);
  if (!path.ok()) return path.status();
  auto it = open_fds_.find(*path);
  if (it == open_fds_.end()) return fsync_path(*path, O_RDONLY);
  if (::fsync(it->second) == 0) return absl::OkStatus();
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
  dirty_dirs_.insert(root_);
  // Deepest first is not required for correctness (each fsync covers one directory's
  // entries), but every directory on the way to a new one must be synced, and is listed.
  for (const std::string& dir : dirty_dirs_) {
    if (absl::Status s = fsync_path(dir, O_RDONLY | O_DIRECTORY); !s.ok()) {
      if (s.code() == absl::StatusCode::kNotFound) continue;  // removed since
      return s;
    }
  }
  dirty_dirs_.clear();
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
