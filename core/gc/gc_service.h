// GcService: runs the shard collector (collector.h) on the meta leader, and only there.
//
// Every `interval`, on a node whose Raft service leads, it first waits for a linearizable
// read (so the namespace applied here holds everything committed), then sweeps every
// storage node. A shard is judged against the chunk table this node has applied at the
// moment it is judged: it is referenced if some kept file version's chunk layout places
// it on that node. An unreferenced shard is deleted only if its node has not stored or
// deduplicated against it within `grace` (a put whose manifest is not committed yet).
//
// Promises:
//   - a shard some applied layout places on its node is never deleted; a node that is not
//     leading judges every shard referenced, so nothing is deleted on a stale view;
//   - a sweep stops within `leader_check` of the node no longer leading (or at once, when
//     the node crashes); the next leader sweeps afresh at its next interval. An interrupted
//     sweep costs work, never data;
//   - one sweep at a time per node; a sweep that is still running when the next interval
//     comes lets that interval pass;
//   - events: gc_sweep_start (sweep, nodes), gc_sweep_done (sweep, listed, listed_bytes,
//     deleted, deleted_bytes, kept, in_grace, skipped: storage nodes not listed, errors),
//     gc_sweep_stopped (sweep: it lost leadership). Counters: gc_sweeps_started,
//     gc_sweeps_done, gc_sweeps_stopped, gc_shards_deleted, gc_bytes_deleted,
//     gc_shards_in_grace. One event per sweep, never one per shard.
// Threading: the Runtime's thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "core/base/settings.h"
#include "core/gc/collector.h"
#include "core/runtime/role.h"
#include "core/runtime/service.h"

namespace cairn::raft {
class RaftService;
}
namespace cairn::meta {
class NamespaceStateMachine;
}

namespace cairn::gc {

// The `gc` group of the `raft` settings section (docs/settings.md).
struct GcOptions {
  Duration interval = std::chrono::hours(1);  // between sweeps on the leader; 0: no GC
  Duration grace = std::chrono::hours(1);     // longer than the longest put
  uint32_t page = 1024;                       // shards listed per call
  int64_t deletes_in_flight = 16;
  double delete_rate = 0;  // deletes started per second; 0: no limit
  Duration leader_check = std::chrono::milliseconds(100);  // how often a sweeper checks it leads

  void visit(SettingsVisitor& v);
  // InvalidArgument naming the key (gc.<key>).
  absl::Status validate() const;
  CollectorOptions collector() const;
};

class GcService final : public Service {
 public:
  // The node's shard client, looked up when the service starts (null: there is none).
  using FindShards = std::function<storage::ShardClient*()>;

  // REQUIRES: raft and ns outlive the service; `ns` is the machine `raft` applies to (on
  // its namespace channel); options.validate() is OK.
  GcService(Runtime& rt, raft::RaftService& raft, const meta::NamespaceStateMachine& ns,
            FindShards shards, std::vector<NodeId> storage_nodes, GcOptions options);
  ~GcService() override;

  std::vector<MessageType> message_types() const override { return {}; }
  void start() override;
  void on_message(NodeId, const Message&) override {}
  void check_invariants() const override;

  bool sweeping() const { return collector_ != nullptr && collector_->running(); }
  // Sweeps begun on this node since it started.
  uint64_t sweeps() const { return sweeps_; }

 private:
  void on_interval();
  void begin();
  void watch();
  void on_done(const SweepReport& r);
  bool referenced(NodeId node, const cas::Digest& shard);

  Runtime& rt_;
  raft::RaftService& raft_;
  const meta::NamespaceStateMachine& ns_;
  FindShards find_shards_;
  std::vector<NodeId> storage_nodes_;
  GcOptions options_;
  std::unique_ptr<Collector> collector_;  // made at start, when the shard client is known
  // (node, shard) of every applied layout, as of the applied index `placed_at_`.
  std::set<std::pair<NodeId, cas::Digest>> placed_;
  std::optional<uint64_t> placed_at_;
  uint64_t sweeps_ = 0;
  bool barrier_pending_ = false;
  TimerId interval_timer_ = kNoTimer;
  TimerId watch_timer_ = kNoTimer;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Adds a GcService to a meta node (after Raft and the namespace are installed on it), or
// nothing when the cluster has no storage node or options.interval is 0. It uses the
// node's own shard client when the node also holds the storage role, else adds one.
absl::Status install(Node& node, const RoleContext& ctx, const GcOptions& options);

}  // namespace cairn::gc
