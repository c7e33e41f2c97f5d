// UploadSpool: ByteStream writes in progress, kept so that an upload cut off by a dropped
// connection can be resumed where it stopped (QueryWriteStatus, then Write from
// committed_size). Each upload's bytes go to a file of its own under `dir` and are hashed
// as they arrive; once complete and matching their digest they are stored in Cairn by the
// caller and the file is removed.
//
// Promises: at most `max_uploads` uploads are kept (a new one evicts the least recently
// touched idle one; when every one is busy it is refused with ResourceExhausted); one
// stream at a time writes an upload (a second gets Aborted); bytes are accepted only at
// the committed offset and never past the digest's size (InvalidArgument, the upload
// dropped); finish() refuses bytes that do not hash to the digest (InvalidArgument, the
// upload dropped, nothing kept). Thread-safe. The directory is emptied at construction: an
// upload does not outlive its node process.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/cas/digest.h"

namespace cairn::real::reapi {

class UploadSpool {
 public:
  UploadSpool(std::string dir, size_t max_uploads);
  ~UploadSpool();
  UploadSpool(const UploadSpool&) = delete;
  UploadSpool& operator=(const UploadSpool&) = delete;

  // An upload held for one Write stream; released (kept for resumption) when destroyed
  // unless finished or dropped.
  class Handle {
   public:
    ~Handle();
    uint64_t committed() const;
    // Appends `bytes` at `offset`. REQUIRES: not finished.
    absl::Status append(uint64_t offset, std::string_view bytes);
    // Checks the bytes against the digest; on success the path of the complete file, which
    // the caller stores and then passes to done(). On failure the upload is gone.
    absl::StatusOr<std::string> finish();
    // Forgets the upload and removes its file.
    void done();

   private:
    friend class UploadSpool;
    struct Upload;
    Handle(UploadSpool& spool, std::shared_ptr<Upload> upload)
        : spool_(spool), upload_(std::move(upload)) {}
    UploadSpool& spool_;
    std::shared_ptr<Upload> upload_;
  };

  // The upload named `name` (the whole resource name) for `digest`, resumed or new.
  absl::StatusOr<std::unique_ptr<Handle>> open(const std::string& name, const cas::Digest& digest);
  // Bytes committed so far by the upload `name`; NotFound if none is kept.
  absl::StatusOr<uint64_t> committed(const std::string& name);

 private:
  void forget(const std::string& name);

  const std::string dir_;
  const size_t max_uploads_;
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<Handle::Upload>> uploads_ ABSL_GUARDED_BY(mu_);
  uint64_t clock_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_file_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cairn::real::reapi
