// The coordinator's per-operation state, shared by its write and read halves
// (coordinator.cc, coordinator_read.cc). Not part of the public interface.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/storage/coordinator.h"

namespace cairn::storage {

struct Coordinator::Write {
  enum class Shard { kPending, kStored, kFailed };

  cas::Digest digest;
  Payload chunk;
  PutDone done;
  StorageMode mode = StorageMode::kErasure;
  int k = 1;
  int m = 0;
  int quorum = 1;                             // shards; copies once placed
  int copies = 1;                             // 2 with mirror pairs
  erasure::StripeEncoder* encoder = nullptr;  // null when replicated
  std::shared_ptr<const placement::PlacementPolicy> placement;
  bool bad_digest = false;
  std::vector<Payload> payloads;  // per slot; dropped once stored or given up
  ChunkLayout layout;
  std::vector<NodeId> order;  // every node, in the policy's preference for this chunk
  size_t next_candidate = 0;  // the next node of `order` a failed shard may move to
  std::vector<Shard> state;
  std::vector<int> moves;
  std::vector<int> attempts;  // background completion
  int stored = 0;
  int pending = 0;
  bool acked = false;
  bool failed = false;    // finished without reaching its quorum: late answers are ignored
  bool only_full = true;  // every failure so far was ResourceExhausted
  absl::Status last_error;
};

struct Coordinator::Read {
  enum class Shard { kIdle, kAsked, kOk, kFailed };

  ChunkLayout layout;
  uint64_t offset = 0;
  uint64_t length = 0;
  ReadDone done;
  const erasure::Codec* codec = nullptr;  // null when replicated
  uint64_t s0 = 0;                        // the byte range read from every shard
  uint64_t s1 = 0;
  std::vector<int> wanted;  // data shards holding the range
  std::vector<Shard> state;
  std::vector<bool> late;
  std::vector<Payload> got;
  std::vector<CallId> calls;
  std::vector<int> copy;          // the copy of each shard asked (mirrored: 0 or 1)
  std::vector<bool> other_tried;  // mirrored: the shard's other copy was asked too
  std::vector<bool> copy_lost;    // mirrored: the first copy asked was lost, not unreachable
  int ok = 0;
  int lost = 0;         // NotFound, DataLoss or a shard that does not fit the layout (every copy)
  int unreachable = 0;  // Unavailable, no answer, anything else
  TimerId hedge_timer = kNoTimer;
  bool finished = false;
  std::string failures;  // "shard 2 on n4: ...; "
  // A range across shards is copied into this pooled buffer (taken on the node's thread).
  std::shared_ptr<std::string> assembly;
};

}  // namespace cairn::storage
