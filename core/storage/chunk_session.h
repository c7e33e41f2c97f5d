// ChunkSession: a client's side of the chunk protocol (core/storage/chunk.proto), on any
// Runtime: the simulator's storage workload, the `cairn` CLI and tests all run it.
//
// Many calls may be in flight at once. Each goes to one coordinator (round robin over the
// storage nodes given); an attempt answered Unavailable, or unanswered within
// attempt_timeout (or whose coordinator the runner reports unreachable), is retried at the
// next coordinator, at most max_attempts times (busy answers first after pauses, for up
// to busy_retry_for, if set). Any other status is final and is the
// coordinator's, unchanged. A coordinator that left an attempt unanswered (or was
// reported unreachable) is passed over for `avoid_for`, so a dead node costs one timeout.
// A put retried after a timeout is harmless: shards are content-addressed, so a second
// write of the chunk deduplicates. Promises: each call's callback runs exactly once, later,
// on the runtime's thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "core/runtime/runtime.h"
#include "core/storage/chunk.pb.h"
#include "core/storage/chunk_layout.h"
#include "core/storage/coordinator.h"

namespace cairn::storage {

struct ChunkSessionOptions {
  Duration attempt_timeout = std::chrono::seconds(10);
  uint32_t max_attempts = 3;
  // A coordinator that left an attempt unanswered is skipped for this long (unless every
  // coordinator is).
  Duration avoid_for = std::chrono::seconds(30);
  // An attempt answered Unavailable (a live coordinator that is busy, or whose shards
  // are) is sent again after a pause, doubling from busy_pause_min to busy_pause_max,
  // without using up an attempt, while the call is younger than busy_retry_for; after
  // that, max_attempts applies as to any Unavailable. 0 (default): no pauses.
  Duration busy_retry_for{0};
  Duration busy_pause_min = std::chrono::milliseconds(5);
  Duration busy_pause_max = std::chrono::milliseconds(200);
};

class ChunkSession {
 public:
  using PutDone = std::function<void(absl::StatusOr<ChunkLayout>)>;
  using ReadDone = std::function<void(absl::StatusOr<Payload>)>;

  // REQUIRES: coordinators non-empty; options.max_attempts >= 1.
  ChunkSession(Runtime& rt, std::vector<NodeId> coordinators, ChunkSessionOptions options);
  ~ChunkSession();
  ChunkSession(const ChunkSession&) = delete;
  ChunkSession& operator=(const ChunkSession&) = delete;

  void put(const cas::Digest& digest, Payload bytes, const WriteOptions& options, PutDone done);
  void read(const ChunkLayout& layout, uint64_t offset, uint64_t length, ReadDone done);

  // Every kChunkResponse the runtime delivers goes here (stale ones are ignored).
  void on_response(NodeId from, const Message& message);
  // The runner lost its connection to `coordinator` (a real client's link went down):
  // attempts waiting there are retried at once, elsewhere, and it is passed over for
  // avoid_for, as if it had timed out.
  void on_unreachable(NodeId coordinator);
  size_t in_flight() const { return calls_.size(); }

 private:
  struct Call {
    wire::ChunkRequest request;
    Payload payload;
    PutDone put_done;
    ReadDone read_done;
    uint32_t attempts = 0;
    Time started{};
    Duration pause{0};  // the last pause after a busy answer
    NodeId at = kNoNode;
    TimerId timer = kNoTimer;
    uint64_t attempt_id = 0;  // the request id of the current attempt
    absl::Status last;
  };

  void start(std::unique_ptr<Call> call);
  void attempt(uint64_t key);
  void pause_then_retry(uint64_t key);
  void retry_or_finish(uint64_t key, absl::Status status);
  void finish(uint64_t key, absl::Status status, const wire::ChunkResponse* response,
              Payload payload);

  Runtime& rt_;
  const std::vector<NodeId> coordinators_;
  ChunkSessionOptions options_;
  size_t next_ = 0;
  uint64_t next_key_ = 1;
  uint64_t next_request_ = 1;
  std::map<uint64_t, std::unique_ptr<Call>> calls_;  // by call key
  std::map<uint64_t, uint64_t> by_request_;          // attempt's request id -> call key
  std::map<NodeId, Time> avoid_until_;               // coordinators that left an attempt unanswered
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cairn::storage
