// ChunkWorkload: simulated clients of the storage nodes (cairn-sim's `chunk_client` role,
// settings section `chunks`). Each client writes chunks of random bytes through the chunk
// protocol at a steady rate, remembers every acknowledged layout, and from `verify` on
// reads every one of them back whole, checking the bytes against the chunk's digest. What
// happened goes to a ChunkHistorySink; the `durability` check judges it (every
// acknowledged chunk read back with the right bytes).
//
// Chunks larger than `virtual_above` are virtual (a length only, no bytes: terabyte runs
// cost no memory) and named by a random content address drawn from the node's Rng. Their
// read-back is judged by what can be judged without bytes: the read gives a virtual
// payload of the chunk's length, and the acknowledged layout names the chunk's digest and
// the shard digests derived from it (virtual_shard_digest, or the chunk's own for replicas).
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "core/base/settings.h"
#include "core/runtime/service.h"
#include "core/storage/chunk_layout.h"
#include "core/storage/chunk_session.h"

namespace cairn::storage {

struct ChunkWorkloadOptions final : RoleOptionsBase<ChunkWorkloadOptions> {
  int64_t clients = 0;
  double rate_per_s = 2;  // chunks written per second per client
  uint64_t size_min = 256 << 10;
  uint64_t size_max = 256 << 10;        // sizes are uniform in [size_min, size_max]
  int64_t window = 4;                   // writes (and reads) in flight per client
  uint64_t virtual_above = UINT64_MAX;  // larger chunks are virtual; default: none
  Duration start = std::chrono::seconds(1);
  Duration until = Duration(0);                 // no write starts after this; 0: verify time
  Duration verify = Duration(0);                // read-back starts; 0: no read-back
  Duration timeout = std::chrono::seconds(10);  // per attempt
  int64_t retries = 3;                          // attempts per operation

  void visit(SettingsVisitor& v) override;
  absl::Status validate() const override;
};

class ChunkHistorySink {
 public:
  virtual ~ChunkHistorySink() = default;
  virtual void written(NodeId client, const ChunkLayout& layout) = 0;
  virtual void write_failed(NodeId client, const cas::Digest& digest,
                            const absl::Status& status) = 0;
  // The read-back of an acknowledged chunk: OK means its bytes hashed to its digest.
  virtual void verified(NodeId client, const cas::Digest& digest, const absl::Status& status) = 0;
};

class ChunkWorkload final : public Service {
 public:
  // REQUIRES: coordinators non-empty; sink outlives the workload.
  ChunkWorkload(Runtime& rt, std::vector<NodeId> coordinators, const ChunkWorkloadOptions& options,
                ChunkHistorySink* sink);
  ~ChunkWorkload() override;

  static std::vector<MessageType> types();
  std::vector<MessageType> message_types() const override { return types(); }
  void start() override;
  void on_message(NodeId from, const Message& message) override;

 private:
  void tick();
  void write_one();
  void verify_next();

  Runtime& rt_;
  ChunkWorkloadOptions options_;
  ChunkHistorySink* sink_;
  ChunkSession session_;
  TimerId timer_ = kNoTimer;
  int64_t writes_in_flight_ = 0;
  int64_t reads_in_flight_ = 0;
  std::vector<ChunkLayout> acknowledged_;
  size_t next_to_verify_ = 0;
  bool verifying_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cairn::storage
