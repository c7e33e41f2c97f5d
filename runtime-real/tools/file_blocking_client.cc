#include "runtime-real/tools/file_blocking_client.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/units.h"
#include "core/meta/chunk_table.h"
#include "core/meta/namespace_session.h"
#include "core/storage/chunk_session.h"
#include "core/storage/coordinator.h"
#include "core/wire/message_types.h"
#include "runtime-real/host/asio_runtime.h"
#include "runtime-real/host/posix_files.h"

namespace cairn::real {
namespace {}  // namespace

absl::StatusOr<std::unique_ptr<FileSource>> FileSource::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_status(errno, path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return errno_status(err, path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrCat(path, ": not a regular file"));
  }
  return std::unique_ptr<FileSource>(new FileSource(path, fd, static_cast<uint64_t>(st.st_size)));
}

FileSource::~FileSource() { ::close(fd_); }

absl::StatusOr<Payload> FileSource::read(uint64_t offset, uint64_t length) {
  std::string buf(length, '\0');
  uint64_t got = 0;
  while (got < length) {
    const ssize_t n =
        ::pread(fd_, buf.data() + got, length - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_status(errno, path_);
    if (n == 0) {
      return absl::DataLossError(absl::StrCat(path_, ": the file shrank while it was read (",
                                              offset + got, " of ", size_, " bytes)"));
    }
    got += static_cast<uint64_t>(n);
  }
  return Payload(std::move(buf));
}

FileBlockingClient::FileBlockingClient(FileBlockingClientOptions options)
    : options_(std::move(options)) {
  CAIRN_ASSERT(!options_.meta.empty());
  CAIRN_ASSERT(options_.deadline.count() > 0);
  std::vector<HostPort> all = options_.meta;
  meta_count_ = all.size();
  for (const HostPort& hp : options_.storage) all.push_back(hp);
  const uint64_t client_id = draw_client_id();
  host_ =
      std::make_unique<ClientHost>(all, client_id, storage::CoordinatorOptions{}.max_chunk_bytes);
  const std::vector<NodeId> endpoints = host_->endpoints();
  std::vector<NodeId> meta(endpoints.begin(), endpoints.begin() + static_cast<long>(meta_count_));
  std::vector<NodeId> stores(endpoints.begin() + static_cast<long>(meta_count_), endpoints.end());
  if (stores.empty()) stores = meta;

  raft::LeaderSessionOptions ns;
  ns.attempt_timeout = std::min(options_.attempt_timeout, options_.deadline);
  ns.attempt_timeout_max = 8 * ns.attempt_timeout;  // waits double after each silent attempt
  ns.backoff = std::chrono::milliseconds(10);
  ns.backoff_max = std::chrono::milliseconds(200);
  ns.deadline = options_.deadline;
  ns.max_attempts = raft::LeaderSession::kMaxAttempts;
  ns.server_name = [all](NodeId endpoint) {
    if (endpoint < 1 || endpoint > all.size()) return absl::StrCat("endpoint ", endpoint);
    return absl::StrCat(all[endpoint - 1].host, ":", all[endpoint - 1].port);
  };
  ns_ = std::make_unique<meta::NamespaceSession>(host_->runtime(), meta, client_id, ns);
  storage::ChunkSessionOptions co;
  co.attempt_timeout = options_.chunk_attempt_timeout;
  co.max_attempts = static_cast<uint32_t>(std::max<size_t>(3, stores.size()));
  // Busy nodes (admission limits reached) are waited for, up to the call's deadline.
  co.busy_retry_for = options_.deadline;
  chunks_ = std::make_unique<storage::ChunkSession>(host_->runtime(), stores, co);
  files_ = std::make_unique<client::FileClient>(host_->runtime(), *ns_, *chunks_, options_.file);
  host_->start(
      [this](NodeId from, const Message& m) {
        if (m.type == cairn::wire::kNsResponse) ns_->on_response(from, m);
        if (m.type == cairn::wire::kChunkResponse) chunks_->on_response(from, m);
      },
      [this](NodeId endpoint) {
        ns_->on_unreachable(endpoint);
        chunks_->on_unreachable(endpoint);
      });
}

FileBlockingClient::~FileBlockingClient() {
  host_->stop([this] {
    files_.reset();
    chunks_.reset();
    ns_.reset();
  });
}

namespace {

// Runs `start(done)` on the loop and waits for `done`'s value.
template <typename T, typename Start>
T wait_for(AsioRuntime& rt, Start start) {
  std::promise<T> answer;
  std::future<T> future = answer.get_future();
  rt.post([&] { start([&answer](T r) { answer.set_value(std::move(r)); }); });
  return future.get();
}

}  // namespace

absl::StatusOr<client::PutResult> FileBlockingClient::put(
    const std::string& path, std::shared_ptr<client::ByteSource> source,
    const client::PutOptions& options, client::ProgressFn progress) {
  absl::MutexLock lock(&call_mu_);
  return wait_for<absl::StatusOr<client::PutResult>>(host_->runtime(), [&](auto done) {
    files_->put(path, std::move(source), options, std::move(progress), std::move(done));
  });
}

absl::StatusOr<meta::wire::Manifest> FileBlockingClient::get(const std::string& path,
                                                             uint64_t version, uint64_t offset,
                                                             uint64_t length, client::Sink sink,
                                                             client::ProgressFn progress) {
  absl::MutexLock lock(&call_mu_);
  return wait_for<absl::StatusOr<meta::wire::Manifest>>(host_->runtime(), [&](auto done) {
    files_->get(path, version, offset, length, std::move(sink), std::move(progress),
                std::move(done));
  });
}

absl::StatusOr<meta::wire::NsResult> FileBlockingClient::query(meta::wire::NsQuery q) {
  absl::MutexLock lock(&call_mu_);
  return wait_for<absl::StatusOr<meta::wire::NsResult>>(
      host_->runtime(), [&](auto done) { ns_->query(std::move(q), std::move(done)); });
}

absl::StatusOr<meta::wire::NsResult> FileBlockingClient::command(meta::wire::NsCommand c) {
  absl::MutexLock lock(&call_mu_);
  return wait_for<absl::StatusOr<meta::wire::NsResult>>(
      host_->runtime(), [&](auto done) { ns_->command(std::move(c), std::move(done)); });
}

absl::Status set_file_sizes(const std::string& chunk_size, const std::string& inline_size,
                            client::FileClientOptions* o) {
  auto chunk = parse_size(chunk_size);
  if (!chunk.ok() || *chunk == 0 || *chunk > (uint64_t{64} << 20)) {
    return absl::InvalidArgumentError(
        "--chunk-size must be a size from 1 byte to 64MiB, e.g. 4MiB");
  }
  auto inline_max = parse_size(inline_size);
  if (!inline_max.ok() || *inline_max > meta::kMaxInlineBytes) {
    return absl::InvalidArgumentError("--inline must be a size from 0 to 64KiB, e.g. 8KiB");
  }
  o->chunk_bytes = *chunk;
  o->inline_bytes = *inline_max;
  return absl::OkStatus();
}

}  // namespace cairn::real
