#include "runtime-real/grpc/upload_spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "runtime-real/host/posix_files.h"

namespace cairn::real::reapi {

struct UploadSpool::Handle::Upload {
  std::string name;
  cas::Digest digest;
  std::string path;
  int fd = -1;
  std::atomic<uint64_t> committed{0};
  cas::Digester digester;
  bool busy = false;     // a stream holds it (guarded by the spool's mutex)
  uint64_t touched = 0;  // the spool's clock at the last open (guarded likewise)

  ~Upload() {
    if (fd >= 0) ::close(fd);
    ::unlink(path.c_str());
  }
};

UploadSpool::UploadSpool(std::string dir, size_t max_uploads)
    : dir_(std::move(dir)), max_uploads_(max_uploads) {
  CAIRN_ASSERT(max_uploads_ >= 1);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  std::filesystem::create_directories(dir_, ec);
}

UploadSpool::~UploadSpool() {
  absl::MutexLock lock(&mu_);
  uploads_.clear();
}

absl::StatusOr<std::unique_ptr<UploadSpool::Handle>> UploadSpool::open(const std::string& name,
                                                                       const cas::Digest& digest) {
  absl::MutexLock lock(&mu_);
  auto it = uploads_.find(name);
  if (it != uploads_.end()) {
    if (it->second->busy) {
      return absl::AbortedError(absl::StrCat("another stream is writing ", name));
    }
    it->second->busy = true;
    it->second->touched = ++clock_;
    return std::unique_ptr<Handle>(new Handle(*this, it->second));
  }
  if (uploads_.size() >= max_uploads_) {
    auto oldest = uploads_.end();
    for (auto u = uploads_.begin(); u != uploads_.end(); ++u) {
      if (!u->second->busy &&
          (oldest == uploads_.end() || u->second->touched < oldest->second->touched)) {
        oldest = u;
      }
    }
    if (oldest == uploads_.end()) {
      return absl::ResourceExhaustedError(
          absl::StrCat("already ", max_uploads_, " uploads in progress"));
    }
    uploads_.erase(oldest);
  }
  auto up = std::make_shared<Handle::Upload>();
  up->name = name;
  up->digest = digest;
  up->path = absl::StrCat(dir_, "/", ++next_file_);
  up->fd = ::open(up->path.c_str(), O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
  if (up->fd < 0) return errno_status(errno, up->path);
  up->busy = true;
  up->touched = ++clock_;
  uploads_[name] = up;
  return std::unique_ptr<Handle>(new Handle(*this, up));
}

absl::StatusOr<uint64_t> UploadSpool::committed(const std::string& name) {
  absl::MutexLock lock(&mu_);
  auto it = uploads_.find(name);
  if (it == uploads_.end()) return absl::NotFoundError(absl::StrCat("no upload ", name));
  return it->second->committed.load();
}

void UploadSpool::forget(const std::string& name) {
  absl::MutexLock lock(&mu_);
  uploads_.erase(name);
}

UploadSpool::Handle::~Handle() {
  if (!upload_) return;
  absl::MutexLock lock(&spool_.mu_);
  upload_->busy = false;
}

uint64_t UploadSpool::Handle::committed() const { return upload_->committed.load(); }

absl::Status UploadSpool::Handle::append(uint64_t offset, std::string_view bytes) {
  CAIRN_ASSERT(upload_ != nullptr);
  Upload& u = *upload_;
  const uint64_t at = u.committed.load();
  absl::Status bad;
  if (offset != at) {
    bad = absl::InvalidArgumentError(
        absl::StrCat("write_offset ", offset, " is not the committed size ", at));
  } else if (at + bytes.size() > u.digest.size_bytes()) {
    bad = absl::InvalidArgumentError(
        absl::StrCat("the upload holds more than the digest's ", u.digest.size_bytes(), " bytes"));
  }
  if (!bad.ok()) {
    done();
    return bad;
  }
  size_t put = 0;
  while (put < bytes.size()) {
    const ssize_t n =
        ::pwrite(u.fd, bytes.data() + put, bytes.size() - put, static_cast<off_t>(at + put));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_status(errno, u.path);  // committed stays: the client may retry
    put += static_cast<size_t>(n);
  }
  u.digester.update({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  u.committed.store(at + bytes.size());
  return absl::OkStatus();
}

absl::StatusOr<std::string> UploadSpool::Handle::finish() {
  CAIRN_ASSERT(upload_ != nullptr);
  Upload& u = *upload_;
  const cas::Digest got = u.digester.finish();
  if (got != u.digest) {
    const std::string message =
        absl::StrCat("the uploaded bytes are ", got.format(), ", not the digest's ",
                     u.digest.format(), "; nothing was stored");
    done();
    return absl::InvalidArgumentError(message);
  }
  return u.path;
}

void UploadSpool::Handle::done() {
  if (!upload_) return;
  const std::string name = upload_->name;
  upload_.reset();
  spool_.forget(name);
}

}  // namespace cairn::real::reapi
