// FileBlockingClient: a blocking client of a Cairn file store, for the `cairn` CLI,
// real-cluster tests and benchmarks (not for core code: it blocks its caller).
//
// It runs the core file client, client::FileClient (core/client/file_client.h), with its
// NamespaceSession and ChunkSession, on an AsioRuntime of its own thread, so chunking,
// negotiation, retries and redirects behave as in the simulator. `peers` are client ports
// of nodes (endpoint i + 1 is peers[i]); each serves whichever of the namespace and chunk
// protocols its roles hold, as every node of `cairnd dev` does both. Meta operations go
// to `meta` (default: `peers`) and chunks to `storage` (default: `peers`).
//
// Promises: one call at a time per client (calls are serialized); a namespace call returns
// by `deadline` (Unavailable: not known to have happened); a transfer returns when the
// file client finishes it, which the sessions' attempt timeouts bound; a chunk call that
// nodes refuse as busy is sent again after growing pauses for up to `deadline`. Progress callbacks
// and sinks run on the client's loop thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/client/file_client.h"
#include "core/meta/namespace.pb.h"
#include "runtime-real/host/config.h"
#include "runtime-real/tools/client_host.h"

namespace cairn::meta {
class NamespaceSession;
}
namespace cairn::storage {
class ChunkSession;
}

namespace cairn::real {

// A local file read in place (pread), for puts of files larger than memory would like.
class FileSource final : public client::ByteSource {
 public:
  // NotFound / PermissionDenied / FailedPrecondition (a directory) naming the path.
  static absl::StatusOr<std::unique_ptr<FileSource>> open(const std::string& path);
  ~FileSource() override;
  uint64_t size() const override { return size_; }
  // DataLoss if the file shrank or changed size while it was read.
  absl::StatusOr<Payload> read(uint64_t offset, uint64_t length) override;

 private:
  FileSource(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  std::string path_;
  int fd_;
  uint64_t size_;
};

struct FileBlockingClientOptions {
  std::vector<HostPort> meta;                 // client ports of meta nodes (at least one)
  std::vector<HostPort> storage;              // client ports of storage nodes; empty: the meta list
  std::chrono::milliseconds deadline{10000};  // per namespace call, retries included
  std::chrono::milliseconds attempt_timeout{1000};         // the first wait; doubles up to 8x
  std::chrono::milliseconds chunk_attempt_timeout{30000};  // one chunk put or read
  client::FileClientOptions file;
};

// Sets `o`'s fixed chunk size and inline threshold from command-line sizes ("64MiB",
// "8KiB"); InvalidArgument naming the flag (--chunk-size, --inline) when one is not a size
// or out of range (chunks 1 B to 64 MiB, inline 0 to 64 KiB).
absl::Status set_file_sizes(const std::string& chunk_size, const std::string& inline_size,
                            client::FileClientOptions* o);

class FileBlockingClient {
 public:
  // REQUIRES: options.meta is not empty; deadline > 0.
  explicit FileBlockingClient(FileBlockingClientOptions options);
  ~FileBlockingClient();
  FileBlockingClient(const FileBlockingClient&) = delete;
  FileBlockingClient& operator=(const FileBlockingClient&) = delete;

  absl::StatusOr<client::PutResult> put(const std::string& path,
                                        std::shared_ptr<client::ByteSource> source,
                                        const client::PutOptions& options,
                                        client::ProgressFn progress = nullptr);
  absl::StatusOr<meta::wire::Manifest> get(const std::string& path, uint64_t version,
                                           uint64_t offset, uint64_t length, client::Sink sink,
                                           client::ProgressFn progress = nullptr);
  absl::StatusOr<meta::wire::NsResult> query(meta::wire::NsQuery query);
  absl::StatusOr<meta::wire::NsResult> command(meta::wire::NsCommand command);

 private:
  const FileBlockingClientOptions options_;
  size_t meta_count_ = 0;  // endpoints 1..meta_count_ are meta nodes, the rest storage
  std::unique_ptr<ClientHost> host_;
  // Loop thread only:
  std::unique_ptr<meta::NamespaceSession> ns_;
  std::unique_ptr<storage::ChunkSession> chunks_;
  std::unique_ptr<client::FileClient> files_;
  absl::Mutex call_mu_;
};

}  // namespace cairn::real
