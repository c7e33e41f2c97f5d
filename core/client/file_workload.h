// FileWorkload: simulated clients of the file store (cairn-sim's `file_client` role,
// settings section `files`). Each client runs a NamespaceSession, a ChunkSession and a
// FileClient, and keeps up to `concurrency` operations in flight (closed loop, or one
// started per slot of `rate` while the window has room): put (plain, IF_ABSENT or
// IF_VERSION), get, stat, ls, rm and mv, on files f0..fN-1 of its own directory
// (/client<id>) and of /shared, where clients contend. A put writes real bytes drawn from
// the runtime's Rng, unique per put (the first 16 bytes name the client and the put). From
// `verify` on, each client reads back the latest version of every path it owns and of
// every shared one.
//
// What happened goes to a FileHistorySink, every operation with its invocation and its
// answer: the simulator's `durability` and `namespace_linearizable` checks judge it.
// Promises: each invoke() is followed by at most one complete() for its handle (none when
// the run ends first); a content id (content_id) names the bytes of one put.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/base/settings.h"
#include "core/cas/digest.h"
#include "core/client/file_client.h"
#include "core/runtime/service.h"

namespace cairn::client {

enum class FileOpKind { kPut, kGet, kStat, kList, kRemove, kMove };
const char* file_op_name(FileOpKind kind);
inline constexpr int kFileOpKinds = 6;

struct FileWorkloadOptions final : RoleOptionsBase<FileWorkloadOptions> {
  int64_t clients = 0;
  int64_t concurrency = 2;  // operations in flight per client
  double rate_per_s = 0;    // operations started per second per client; 0: closed loop
  // Operation mix, relative weights.
  int64_t put = 4, get = 3, stat = 1, list = 1, remove = 1, mv = 1;
  int64_t files = 4;                 // names per directory: f0 .. f<files-1>
  double shared = 0.5;               // chance an operation is on /shared
  uint64_t size_min = 1 << 10;       // file sizes: uniform in [size_min, size_max]
  uint64_t size_max = 1 << 20;       //
  uint64_t chunk_bytes = 256 << 10;  // fixed-size chunking: files span a few chunks
  int64_t window = 2;                // FileClient window (chunks in flight)
  uint64_t inline_bytes = 8 << 10;   // files up to this size go inline in the manifest
  Duration start = std::chrono::seconds(1);
  Duration until = Duration(0);                // no operation starts after this; 0: verify
  Duration verify = Duration(0);               // read-back starts; 0: no read-back
  Duration timeout = std::chrono::seconds(2);  // per attempt (namespace and chunks)
  int64_t retries = 5;                         // attempts per request

  void visit(SettingsVisitor& v) override;
  absl::Status validate() const override;
};

// One operation as invoked.
struct FileOpRecord {
  FileOpKind kind = FileOpKind::kGet;
  std::string path;
  std::string to;  // mv: the destination
  meta::wire::Condition condition = meta::wire::ANY;
  uint64_t if_version = 0;  // IF_VERSION
  cas::Digest content;      // put: content_id of the bytes written
  cas::Digest bytes;        // put: the digest of the whole bytes
  bool verify = false;      // get: a read-back at the end of the run
};

// Its answer. `status` is as the namespace (or the file client) gave it.
struct FileOpOutcome {
  absl::Status status;
  uint64_t version = 0;  // put, mv: the version written; get, stat: the version seen
  bool is_file = true;   // stat: what is at the path
  cas::Digest content;   // get: content_id of the manifest read
  cas::Digest bytes;     // get: the digest of the bytes read
  std::vector<std::pair<std::string, uint64_t>> files;  // ls: (name, version) of each file
};

class FileHistorySink {
 public:
  virtual ~FileHistorySink() = default;
  virtual uint64_t invoke(NodeId client, const FileOpRecord& op) = 0;
  virtual void complete(uint64_t handle, const FileOpOutcome& outcome) = 0;
};

// The name of a version's content: SHA-256 over the chunk digests in order (so both the
// writer, from its bytes, and a reader, from the manifest, can compute it), sized as the
// file. An inline file counts as one chunk of all its bytes.
cas::Digest content_id(std::string_view bytes, uint64_t chunk_bytes, uint64_t inline_bytes);
cas::Digest content_id(const meta::wire::Manifest& manifest);

class FileWorkload final : public Service {
 public:
  // REQUIRES: meta and coordinators non-empty; sink outlives the workload.
  FileWorkload(Runtime& rt, std::vector<NodeId> meta, std::vector<NodeId> coordinators,
               const FileWorkloadOptions& options, FileHistorySink* sink);
  ~FileWorkload() override;

  static std::vector<MessageType> types();
  std::vector<MessageType> message_types() const override { return types(); }
  void start() override;
  void on_message(NodeId from, const Message& message) override;

 private:
  void set_up();
  void tick();
  void fill();
  void start_one();
  void finish_op(uint64_t handle, const std::string& path, const FileOpOutcome& outcome);
  void do_put(const std::string& path);
  void do_get(const std::string& path, bool verify, int attempt);
  void do_stat(const std::string& path);
  void do_list(const std::string& dir);
  void do_remove(const std::string& path);
  void do_move(const std::string& from, const std::string& to);
  void start_verify();
  std::string pick_path(bool shared);
  std::string dir_of(bool shared) const;
  bool stopped() const;

  Runtime& rt_;
  FileWorkloadOptions options_;
  FileHistorySink* sink_;
  meta::NamespaceSession ns_;
  storage::ChunkSession chunks_;
  FileClient files_;
  TimerId timer_ = kNoTimer;
  bool ready_ = false;  // directories made
  int64_t in_flight_ = 0;
  uint64_t puts_ = 0;
  // What this client last saw at a path: a version (0: absent). For conditional puts.
  std::map<std::string, uint64_t> seen_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cairn::client
