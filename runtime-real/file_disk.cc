#include "runtime-real/file_disk.h"

#include <sys/stat.h>

#include "runtime-real/asio_runtime.h"

namespace cairn::real {

FileDisk::FileDisk(AsioRuntime& rt, std::string root)
    : rt_(rt), files_(std::make_shared<PosixFiles>(root)) {
  ::mkdir(root.c_str(), 0755);  // an error here shows up as the first operation's status
}

template <typename Result, typename Op, typename Callback>
void FileDisk::run(Op op, Callback done) {
  auto result = std::make_shared<Result>(absl::UnknownError("not run"));
  rt_.offload([files = files_, op = std::move(op), result]() { *result = op(*files); },
              [result, done = std::move(done)]() {
                if (done) done(std::move(*result));
              },
              /*serial=*/true);
}

void FileDisk::write(const std::string& name, std::string bytes, Done done) {
  run<absl::Status>([name, b = std::move(bytes)](PosixFiles& f) { return f.write(name, b); },
                    std::move(done));
}

void FileDisk::append(const std::string& name, std::string bytes, Done done) {
  run<absl::Status>([name, b = std::move(bytes)](PosixFiles& f) { return f.append(name, b); },
                    std::move(done));
}

void FileDisk::read(const std::string& name, ReadDone done) {
  run<absl::StatusOr<std::string>>([name](PosixFiles& f) { return f.read(name); }, std::move(done));
}

void FileDisk::sync(const std::string& name, Done done) {
  run<absl::Status>([name](PosixFiles& f) { return f.sync(name); }, std::move(done));
}

void FileDisk::append_sync(const std::string& name, std::string bytes, Done done) {
  run<absl::Status>([name, b = std::move(bytes)](PosixFiles& f) { return f.append_sync(name, b); },
                    std::move(done));
}

void FileDisk::rename(const std::string& from, const std::string& to, Done done) {
  run<absl::Status>([from, to](PosixFiles& f) { return f.rename(from, to); }, std::move(done));
}

void FileDisk::remove(const std::string& name, Done done) {
  run<absl::Status>([name](PosixFiles& f) { return f.remove(name); }, std::move(done));
}

void FileDisk::sync_dir(Done done) {
  run<absl::Status>([](PosixFiles& f) { return f.sync_dir(); }, std::move(done));
}

void FileDisk::list(const std::string& prefix, ListDone done) {
  run<absl::StatusOr<std::vector<std::string>>>([prefix](PosixFiles& f) { return f.list(prefix); },
                                                std::move(done));
}

}  // namespace cairn::real
