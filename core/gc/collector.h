// Garbage collection of shards (core/gc): mark and sweep against the namespace's references.
//
// A sweep walks each storage node's shards, a page at a time (ShardClient::list), and
// deletes every shard that no chunk layout places on that node. The mark is the
// namespace's chunk table, consulted through `referenced(node, digest)` at the moment each
// shard is judged, so what counts is the state the caller holds then (the meta leader's
// applied state), not a list copied at the start.
//
// Promises:
//   - a referenced shard is never deleted by this collector;
//   - a shard is deleted only through remove_if_idle(grace): one stored or deduplicated
//     against on its node within the grace stays (FailedPrecondition, counted as kept).
//     That covers a put whose manifest is not committed yet. A put that names chunks the
//     namespace already held, without uploading them, is refused at commit if one of them
//     has left the namespace since (PutFile.known_chunks), so it uploads again instead;
//   - a node that fails to list is skipped for this sweep (counted, retried next sweep); a
//     delete that fails leaves the shard, and nothing else;
//   - at most `max_deletes_in_flight` deletes are outstanding, and one list per node; with
//     `deletes_per_second` set, deletes start no faster than that (a sweep then takes at
//     least deleted / deletes_per_second, sparing the nodes' disks);
//   - stop() ends a sweep at once (its callback never runs): a leader that steps down
//     stops; the next leader sweeps afresh. Restarting costs work, never data.
// Threading: the Runtime's thread; callbacks run later, never inside a call.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/cas/digest.h"
#include "core/runtime/runtime.h"
#include "core/storage/shard_client.h"

namespace cairn::gc {

struct CollectorOptions {
  // How long a shard must have gone unused on its node before it may be deleted; longer
  // than the longest put (upload to manifest commit).
  Duration grace = std::chrono::hours(1);
  uint32_t page = 1024;  // digests asked for per list call
  int max_deletes_in_flight = 16;
  double deletes_per_second = 0;  // 0: as fast as the bound above allows
};

struct SweepReport {
  uint64_t listed = 0;         // shards seen
  uint64_t listed_bytes = 0;   // their lengths: the shard bytes the nodes held when listed
  uint64_t referenced = 0;     // kept: some layout places them there
  uint64_t deleted = 0;        // unreferenced and idle: removed
  uint64_t in_grace = 0;       // unreferenced but used within the grace: kept
  uint64_t delete_errors = 0;  // other failures of a delete: kept
  uint64_t deleted_bytes = 0;
  std::vector<NodeId> unreachable;  // nodes whose listing failed: not swept
};

class Collector {
 public:
  using Referenced = std::function<bool(NodeId, const cas::Digest&)>;
  using Done = std::function<void(const SweepReport&)>;

  Collector(Runtime& rt, storage::ShardClient& shards, CollectorOptions options,
            Referenced referenced);
  ~Collector();
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  // Sweeps `nodes` (in order, one at a time), then calls `done`. REQUIRES: !running().
  void sweep(std::vector<NodeId> nodes, Done done);
  bool running() const { return sweep_ != nullptr; }
  // Ends a running sweep without calling its `done`; no-op when none runs.
  void stop();
  // Like stop(), but leaves the shard client alone (its calls are not cancelled): for an
  // owner whose shard client may already be gone, as on a crashing node. Answers that
  // still arrive are ignored, even once the collector is destroyed.
  void abandon();

 private:
  struct Sweep;
  static bool current(const std::weak_ptr<Sweep>& s, const Collector* self);
  void next_node();
  void list_page();
  void on_page(absl::StatusOr<storage::ShardList> page);
  void pump();
  // True if the rate lets a delete start now; else arranges a later pump() and says false.
  bool may_delete_now();
  void on_deleted(storage::CallId call, NodeId node, const cas::Digest& digest,
                  const absl::Status& st);
  void maybe_finish();

  Runtime& rt_;
  storage::ShardClient& shards_;
  CollectorOptions options_;
  Referenced referenced_;
  std::shared_ptr<Sweep> sweep_;
};

}  // namespace cairn::gc
