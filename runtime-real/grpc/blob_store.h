// BlobStore: the gRPC gateway's way into Cairn. Blobs and action results are files of the
// namespace (resource_name.h says where), so they are chunked, replicated or erasure-coded
// and kept inline when small like any file; every call goes through the core file client
// (core/client/file_client.h) to the cluster's client ports.
//
// Threading: any thread may call; calls block their caller (a gRPC thread) until the
// cluster answers. Each call leases one of `clients` FileBlockingClients, each running the
// core client on an event loop of its own, so no call ever runs on or blocks a node's loop
// and at most `clients` calls are in flight (the others wait for a lease).
// Errors are Cairn's statuses unchanged: NotFound, Unavailable, DataLoss, ...
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/client/file_client.h"
#include "runtime-real/host/config.h"

namespace cairn::real {
class FileBlockingClient;
}

namespace cairn::real::reapi {

struct BlobStoreOptions {
  std::vector<HostPort> cluster;  // client ports of the nodes (meta and storage)
  size_t clients = 4;             // calls in flight at once
  std::chrono::milliseconds deadline{10000};
  uint64_t cache_bytes_per_client = uint64_t{64} << 20;  // whole chunks kept for reads
};

class BlobStore {
 public:
  // REQUIRES: options.cluster non-empty, options.clients >= 1.
  explicit BlobStore(BlobStoreOptions options);
  ~BlobStore();

  // The size of the file at `path`; NotFound if there is none.
  absl::StatusOr<uint64_t> size_of(const std::string& path);
  // Stores `source` as the file `path`, making `dir` (its parent) first if needed.
  absl::Status put(const std::string& dir, const std::string& path,
                   std::shared_ptr<client::ByteSource> source);
  // Bytes [offset, offset + length) of `path` (its `version`, 0: the latest) handed to
  // `sink` in order. REQUIRES: length > 0 (client::FileClient::kToEnd: to the end).
  absl::Status read(const std::string& path, uint64_t offset, uint64_t length, client::Sink sink,
                    uint64_t version = 0);
  // Any file put, namespace query or command (the namespace service, namespace_service.cc).
  absl::StatusOr<client::PutResult> put_file(const std::string& path,
                                             std::shared_ptr<client::ByteSource> source,
                                             const client::PutOptions& options);
  absl::StatusOr<meta::wire::NsResult> query(meta::wire::NsQuery q);
  absl::StatusOr<meta::wire::NsResult> command(meta::wire::NsCommand c);
  // The whole file at `path`, at most `max_bytes` (FailedPrecondition if larger).
  absl::StatusOr<std::string> read_all(const std::string& path, uint64_t max_bytes);

 private:
  class Lease;
  FileBlockingClient* acquire();
  void release(FileBlockingClient* c);
  absl::Status make_dir(FileBlockingClient& c, const std::string& dir);

  std::vector<std::unique_ptr<FileBlockingClient>> clients_;
  absl::Mutex mu_;
  std::vector<FileBlockingClient*> idle_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> made_dirs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cairn::real::reapi
