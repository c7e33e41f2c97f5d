// ShardClient: how a coordinator (or repair) reaches the shard stores of storage nodes.
//
// The interface the coordinator is written against. Two implementations: RpcShardClient
// (core/storage/rpc_shard_client.h) speaks the storage protocol (message range 0x03xx) to a
// StorageService on each node through the Runtime; tests use an in-memory fake with fault
// injection (core/storage/testing/fake_shards.h). The protocol, its limits and what each
// status means to a caller: docs/storage.md.
//
// Promises:
//   - every call's callback runs exactly once, later (never inside the call), on the
//     runtime's thread, unless the call was cancelled first (then it never runs);
//   - statuses are the canonical set of the shard store (core/cas/shard_store.h), carried
//     unchanged from the node that produced them: NotFound, OutOfRange, DataLoss,
//     ResourceExhausted, InvalidArgument, FailedPrecondition, Unavailable. A node that does
//     not answer within the client's timeout, or is unreachable, gives Unavailable;
//   - bytes returned by get() are exactly what the node's store verified (block CRCs).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "core/cas/digest.h"
#include "core/cas/shard_store.h"
#include "core/runtime/message.h"

namespace cairn::storage {

using CallId = uint64_t;

struct ShardStat {
  uint64_t size_bytes = 0;  // the shard's length (its digest's size)
};

// One page of a node's shards, in digest order.
struct ShardList {
  std::vector<cas::Digest> digests;
  bool more = false;  // shards follow the last one listed
};

class ShardClient {
 public:
  using Done = std::function<void(absl::Status)>;
  using PutDone = std::function<void(absl::StatusOr<cas::PutResult>)>;
  using ReadDone = std::function<void(absl::StatusOr<Payload>)>;
  using MissingDone = std::function<void(absl::StatusOr<std::vector<cas::Digest>>)>;
  using StatDone = std::function<void(absl::StatusOr<ShardStat>)>;
  using ListDone = std::function<void(absl::StatusOr<ShardList>)>;

  virtual ~ShardClient() = default;

  // Stores `bytes` (which hash to `digest`) on `node`; deduplicated if present there.
  virtual CallId put(NodeId node, const cas::Digest& digest, Payload bytes, PutDone done) = 0;
  // `length` bytes at `offset` of the shard on `node`. OutOfRange past the end.
  virtual CallId get(NodeId node, const cas::Digest& digest, uint64_t offset, uint64_t length,
                     ReadDone done) = 0;
  // Which of `digests` `node` does not hold, in the order given.
  virtual CallId find_missing(NodeId node, std::vector<cas::Digest> digests, MissingDone done) = 0;
  virtual CallId stat(NodeId node, const cas::Digest& digest, StatDone done) = 0;
  virtual CallId remove(NodeId node, const cas::Digest& digest, Done done) = 0;
  // remove(), unless the shard was stored or deduplicated against on `node` within
  // `idle_for` (then FailedPrecondition; cas::ShardStore::remove_if_idle).
  virtual CallId remove_if_idle(NodeId node, const cas::Digest& digest, Duration idle_for,
                                Done done) = 0;
  // Up to `max` of `node`'s shards after `after` (from the first when nullopt), in digest
  // order; the node may list fewer (its own limit), and says whether more follow.
  virtual CallId list(NodeId node, std::optional<cas::Digest> after, uint32_t max,
                      ListDone done) = 0;

  // The call's callback will not run; its transfer stops. No-op for a finished call.
  virtual void cancel(CallId id) = 0;
};

}  // namespace cairn::storage
