#include "runtime-real/host/file_disk.h"

#include <sys/stat.h>

#include <algorithm>
#include <thread>

#include "core/base/assert.h"
#include "core/runtime/disk_util.h"
#include "runtime-real/host/asio_runtime.h"

namespace cairn::real {

FileDisk::FileDisk(AsioRuntime& rt, std::string root, int threads)
    : rt_(rt),
      threads_(threads),
      files_(std::make_shared<PosixFiles>(root)),
      scheduler_(static_cast<size_t>(std::max(threads, 1))) {
  CAIRN_ASSERT(threads >= 1);
  ::mkdir(root.c_str(), 0755);  // an error here shows up as the first operation's status
}

// The runtime's stop() waited for every operation in flight; joins the idle threads.
FileDisk::~FileDisk() = default;

void FileDisk::set_added_latency(Duration latency) {
  CAIRN_ASSERT(latency >= Duration(0));
  added_latency_ = latency;
}

template <typename Result, typename Op, typename Callback>
void FileDisk::run(Kind kind, std::vector<std::string> names, Op op, Callback done) {
  auto result = std::make_shared<Result>(absl::UnknownError("not run"));
  const Duration delay = added_latency_;
  std::function<void()> work = [files = files_, op = std::move(op), result, delay]() {
    if (delay > Duration(0)) std::this_thread::sleep_for(delay);  // a slow disk (fault)
    *result = op(*files);
  };
  scheduler_.issue(kind, std::move(names),
                   [this, work = std::move(work), result,
                    done = std::move(done)](DiskScheduler::OpId id) mutable {
                     if (!pool_) pool_ = std::make_unique<asio::thread_pool>(threads_);
                     rt_.offload(*pool_, std::move(work),
                                 [this, id, result, done = std::move(done)]() mutable {
                                   scheduler_.finish(id);  // starts what waited for it
                                   if (done) done(std::move(*result));
                                 });
                   });
}

void FileDisk::write(const std::string& name, Payload bytes, Done done) {
  run<absl::Status>(
      Kind::kChange, {name},
      [name, b = std::move(bytes)](PosixFiles& f) {
        absl::Status st = check_storable(name, b);
        return st.ok() ? f.write(name, b.view()) : st;
      },
      std::move(done));
}

void FileDisk::append(const std::string& name, Payload bytes, Done done) {
  run<absl::Status>(
      Kind::kChange, {name},
      [name, b = std::move(bytes)](PosixFiles& f) {
        absl::Status st = check_storable(name, b);
        return st.ok() ? f.append(name, b.view()) : st;
      },
      std::move(done));
}

void FileDisk::read(const std::string& name, ReadDone done) {
  run<absl::StatusOr<std::string>>(
      Kind::kRead, {name}, [name](PosixFiles& f) { return f.read(name); }, std::move(done));
}

void FileDisk::read_range(const std::string& name, uint64_t offset, uint64_t length,
                          ReadDone done) {
  run<absl::StatusOr<std::string>>(
      Kind::kRead, {name},
      [name, offset, length](PosixFiles& f) { return f.read_range(name, offset, length); },
      std::move(done));
}

void FileDisk::read_payload(const std::string& name, uint64_t offset, uint64_t length,
                            PayloadDone done) {
  if (length < kReuseFrom) return Disk::read_payload(name, offset, length, std::move(done));
  std::shared_ptr<std::string> buffer = buffers_.take(length);  // here, on the loop thread
  run<absl::StatusOr<RangeBytes>>(
      Kind::kRead, {name},
      [name, offset, length, buffer](PosixFiles& f) -> absl::StatusOr<RangeBytes> {
        if (absl::Status s = f.read_range_into(name, offset, length, *buffer); !s.ok()) return s;
        return RangeBytes{.bytes = Payload(std::shared_ptr<const std::string>(buffer))};
      },
      std::move(done));
}

void FileDisk::stat(const std::string& name, StatDone done) {
  run<absl::StatusOr<FileStat>>(
      Kind::kRead, {name}, [name](PosixFiles& f) { return f.stat(name); }, std::move(done));
}

void FileDisk::sync(const std::string& name, Done done) {
  run<absl::Status>(
      Kind::kChange, {name}, [name](PosixFiles& f) { return f.sync(name); }, std::move(done));
}

void FileDisk::append_sync(const std::string& name, Payload bytes, Done done) {
  run<absl::Status>(
      Kind::kChange, {name},
      [name, b = std::move(bytes)](PosixFiles& f) {
        absl::Status st = check_storable(name, b);
        return st.ok() ? f.append_sync(name, b.view()) : st;
      },
      std::move(done));
}

void FileDisk::rename(const std::string& from, const std::string& to, Done done) {
  run<absl::Status>(
      Kind::kChange, {from, to}, [from, to](PosixFiles& f) { return f.rename(from, to); },
      std::move(done));
}

void FileDisk::remove(const std::string& name, Done done) {
  run<absl::Status>(
      Kind::kChange, {name}, [name](PosixFiles& f) { return f.remove(name); }, std::move(done));
}

void FileDisk::sync_dir(Done done) {
  run<absl::Status>(
      Kind::kSyncDir, {}, [](PosixFiles& f) { return f.sync_dir(); }, std::move(done));
}

void FileDisk::list(const std::string& prefix, ListDone done) {
  run<absl::StatusOr<std::vector<std::string>>>(
      Kind::kReadAll, {}, [prefix](PosixFiles& f) { return f.list(prefix); }, std::move(done));
}

void FileDisk::list_dir(const std::string& dir, DirDone done) {
  run<absl::StatusOr<std::vector<DirEntry>>>(
      Kind::kReadAll, {}, [dir](PosixFiles& f) { return f.list_dir(dir); }, std::move(done));
}

void FileDisk::space(SpaceDone done) {
  run<absl::StatusOr<DiskSpace>>(
      Kind::kFree, {}, [](PosixFiles& f) { return f.space(); }, std::move(done));
}

}  // namespace cairn::real
