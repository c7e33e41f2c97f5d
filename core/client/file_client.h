// FileClient: files in and out of a Cairn cluster, on any Runtime. The `cairn` CLI, the
// simulator's client workloads and tests all run this code.
//
// put: the file is cut into chunks (fixed size, 64 MiB by default; content-defined when
// `cdc` is set), each hashed (SHA-256, off the node's thread); the namespace is asked which
// chunks it already knows (FindMissing) and only the others are sent, to a coordinator
// (any storage node, through storage::ChunkSession, which retries elsewhere); at most
// `window` chunks are read, hashed and in flight at once. The manifest is committed to the
// namespace last, so a file is visible only once every chunk is stored. A second put of the
// same content sends no chunk bytes.
//
// Small files (1 byte to `inline_bytes`, 8 KiB by default) skip the chunks: their bytes
// go inline in the manifest, so a put is one namespace commit (docs/namespace.md).
//
// get: the manifest of the version asked for (linearizable), then the chunks that hold the
// byte range, `window` at a time, handed to the sink in file order. Whole chunks read are
// kept in a cache bounded in bytes (safe: a chunk is immutable and named by its content).
//
// Progress: every transfer reports bytes done, rate and time left after each chunk.
// Promises: each call's `done` runs exactly once, on the runtime's thread; a put that
// fails commits nothing; a get hands the sink exactly the bytes of the range, in order,
// or fails (a read never returns short or wrong bytes).
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "core/cas/digest.h"
#include "core/client/chunker.h"
#include "core/meta/namespace.pb.h"
#include "core/meta/namespace_session.h"
#include "core/runtime/runtime.h"
#include "core/storage/chunk_session.h"

namespace cairn::client {

// The bytes of a file being put, read chunk by chunk, in order.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // Exactly `length` bytes from `offset`, or an error (e.g. the file changed under us).
  virtual absl::StatusOr<Payload> read(uint64_t offset, uint64_t length) = 0;
};

// A source over bytes in memory.
class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(Payload bytes) : bytes_(std::move(bytes)) {}
  uint64_t size() const override { return bytes_.size(); }
  absl::StatusOr<Payload> read(uint64_t offset, uint64_t length) override;

 private:
  Payload bytes_;
};

// Where a get's bytes go, piece by piece in file order. An error aborts the get with it.
using Sink = std::function<absl::Status(const Payload& piece)>;

struct Progress {
  uint64_t done_bytes = 0;
  uint64_t total_bytes = 0;
  double bytes_per_second = 0;  // since the transfer started
  Duration left{0};             // at that rate; 0 when unknown or done
};
using ProgressFn = std::function<void(const Progress&)>;

struct FileClientOptions {
  uint64_t chunk_bytes = uint64_t{64} << 20;   // fixed-size chunking
  std::optional<CdcParams> cdc;                // content-defined chunking instead
  uint32_t window = 4;                         // chunks read, hashed and in flight at once
  uint64_t cache_bytes = uint64_t{256} << 20;  // whole chunks kept for reads; 0: none
  uint64_t inline_bytes = uint64_t{8} << 10;   // files up to this size go inline; 0: none
};

struct PutOptions {
  meta::wire::Condition condition = meta::wire::ANY;
  uint64_t if_version = 0;      // with IF_VERSION
  storage::WriteOptions write;  // storage mode; default: by chunk size
};

struct PutResult {
  meta::wire::EntryInfo entry;  // the file as committed (its version)
  uint64_t chunks = 0;          // in the file
  uint64_t chunks_sent = 0;     // the rest were known already (deduplicated)
  uint64_t bytes_sent = 0;
};

class FileClient {
 public:
  using PutDone = std::function<void(absl::StatusOr<PutResult>)>;
  using GetDone = std::function<void(absl::StatusOr<meta::wire::Manifest>)>;
  static constexpr uint64_t kToEnd = ~uint64_t{0};

  // REQUIRES: everything outlives the client; options.window >= 1; chunk_bytes >= 1;
  // inline_bytes <= meta::kMaxInlineBytes.
  FileClient(Runtime& rt, meta::NamespaceSession& ns, storage::ChunkSession& chunks,
             FileClientOptions options);
  ~FileClient();
  FileClient(const FileClient&) = delete;
  FileClient& operator=(const FileClient&) = delete;

  void put(std::string path, std::shared_ptr<ByteSource> source, PutOptions options,
           ProgressFn progress, PutDone done);
  // Bytes [offset, offset + length) of `version` (0: the latest); length kToEnd: to the end.
  // OutOfRange if offset is past the end; `done` gets the manifest read.
  void get(std::string path, uint64_t version, uint64_t offset, uint64_t length, Sink sink,
           ProgressFn progress, GetDone done);

  uint64_t cached_bytes() const { return cache_bytes_; }

 private:
  struct PutOp;
  struct GetOp;

  // put, file_put.cc
  absl::Status plan(PutOp& op);
  void next_batch(std::shared_ptr<PutOp> op);
  void hashed(std::shared_ptr<PutOp> op);
  void negotiated(std::shared_ptr<PutOp> op, meta::wire::NsResult known);
  void chunk_stored(std::shared_ptr<PutOp> op, size_t index,
                    absl::StatusOr<storage::ChunkLayout> layout);
  void commit(std::shared_ptr<PutOp> op);
  void commit_inline(std::shared_ptr<PutOp> op);
  void propose(std::shared_ptr<PutOp> op, meta::wire::NsCommand c);
  void fail(std::shared_ptr<PutOp> op, absl::Status status);

  // get, file_get.cc
  void read_more(std::shared_ptr<GetOp> op);
  void serve_inline(std::shared_ptr<GetOp> op, uint64_t offset, uint64_t end);
  void piece_read(std::shared_ptr<GetOp> op, size_t index, absl::StatusOr<Payload> bytes);
  void fail(std::shared_ptr<GetOp> op, absl::Status status);

  void report(const ProgressFn& fn, Time started, uint64_t done, uint64_t total) const;
  std::optional<Payload> cached(const cas::Digest& chunk);
  void remember(const cas::Digest& chunk, const Payload& bytes);

  Runtime& rt_;
  meta::NamespaceSession& ns_;
  storage::ChunkSession& chunks_;
  const FileClientOptions options_;
  std::optional<CdcChunker> cdc_;
  // The chunk cache: least recently used first.
  std::list<std::pair<cas::Digest, Payload>> lru_;
  std::map<cas::Digest, std::list<std::pair<cas::Digest, Payload>>::iterator> cache_;
  uint64_t cache_bytes_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cairn::client
