// ChunkBlockingClient: a blocking client of the storage nodes' chunk protocol
// (core/storage/chunk.proto), for the `cairn` CLI, real-cluster tests and benchmarks (not
// for core code: it blocks its caller).
//
// It runs the core client, storage::ChunkSession (core/storage/chunk_session.h), on an
// AsioRuntime of its own thread, so coordinator choice, timeouts and retries behave as in
// the simulator. The session's coordinators are the addresses in `nodes` (endpoint i + 1
// is nodes[i]), each reached over frames to a storage node's client port
// (runtime-real/transport/client_port.h), which carries payloads of a whole chunk.
//
// Promises: calls may come from several threads at once (each waits for its own answer,
// and they are in flight together); every call returns once the session has finished it,
// which its attempt timeouts bound. put() hashes the bytes on the caller's thread and
// returns the layout only once the coordinator acknowledged the write quorum; read()
// returns exactly the bytes asked for, or an error (never short or wrong bytes: the
// coordinator checks shard digests, and this client checks the length). read_into() is
// read() into the caller's memory: the answer is copied once, from the buffer it arrived
// in, and that buffer is free for the next answer as soon as the call returns (read()
// copies it into a fresh string, whose pages fault in on first touch).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/runtime/message.h"
#include "core/storage/chunk_layout.h"
#include "core/storage/coordinator.h"
#include "runtime-real/host/asio.h"
#include "runtime-real/host/config.h"
#include "runtime-real/tools/client_host.h"

namespace cairn::storage {
class ChunkSession;
}

namespace cairn::real {

struct ChunkBlockingClientOptions {
  std::vector<HostPort> nodes;                       // client ports of storage nodes (>= 1)
  std::chrono::milliseconds attempt_timeout{10000};  // waiting for one coordinator's answer
  uint32_t max_attempts = 3;                         // coordinators tried per call
  std::chrono::milliseconds avoid_for{30000};        // a coordinator that timed out is skipped
};

class ChunkBlockingClient {
 public:
  // REQUIRES: options.nodes is not empty; max_attempts >= 1.
  explicit ChunkBlockingClient(ChunkBlockingClientOptions options);
  ~ChunkBlockingClient();
  ChunkBlockingClient(const ChunkBlockingClient&) = delete;
  ChunkBlockingClient& operator=(const ChunkBlockingClient&) = delete;

  // Stores `bytes` (at most 64 MiB) as one chunk; its layout once acknowledged.
  absl::StatusOr<storage::ChunkLayout> put(std::string bytes,
                                           const storage::WriteOptions& options = {});
  // `length` bytes of the chunk from `offset`.
  absl::StatusOr<std::string> read(const storage::ChunkLayout& layout, uint64_t offset,
                                   uint64_t length);
  // out.size() bytes of the chunk from `offset`, written to `out`; on an error `out` is
  // left as it was.
  absl::Status read_into(const storage::ChunkLayout& layout, uint64_t offset, std::span<char> out);

 private:
  // The answer as it arrived, checked to be `length` real bytes.
  absl::StatusOr<Payload> read_payload(const storage::ChunkLayout& layout, uint64_t offset,
                                       uint64_t length);

  const ChunkBlockingClientOptions options_;
  std::unique_ptr<ClientHost> host_;
  std::unique_ptr<storage::ChunkSession> session_;  // loop thread only
};

}  // namespace cairn::real
