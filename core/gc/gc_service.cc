#include "core/gc/gc_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/meta/namespace_service.h"
#include "core/meta/namespace_state_machine.h"
#include "core/raft/mux_state_machine.h"
#include "core/raft/raft_service.h"
#include "core/storage/chunk_wire.h"
#include "core/storage/rpc_shard_client.h"

namespace cairn::gc {

void GcOptions::visit(SettingsVisitor& v) {
  v.duration("interval", interval);
  v.duration("grace", grace);
  v.count("page", page, 1, 4096);
  v.count("deletes_in_flight", deletes_in_flight, 1, 1024);
  v.rate("delete_rate", delete_rate);
  v.duration("leader_check", leader_check);
}

absl::Status GcOptions::validate() const {
  if (interval < Duration(0)) return absl::InvalidArgumentError("gc.interval is negative");
  if (grace <= Duration(0)) return absl::InvalidArgumentError("gc.grace must be positive");
  if (leader_check <= Duration(0)) {
    return absl::InvalidArgumentError("gc.leader_check must be positive");
  }
  if (delete_rate < 0) return absl::InvalidArgumentError("gc.delete_rate is negative");
  return absl::OkStatus();
}

CollectorOptions GcOptions::collector() const {
  return CollectorOptions{.grace = grace,
                          .page = page,
                          .max_deletes_in_flight = static_cast<int>(deletes_in_flight),
                          .deletes_per_second = delete_rate};
}

GcService::GcService(Runtime& rt, raft::RaftService& raft, const meta::NamespaceStateMachine& ns,
                     FindShards shards, std::vector<NodeId> storage_nodes, GcOptions options)
    : rt_(rt),
      raft_(raft),
      ns_(ns),
      find_shards_(std::move(shards)),
      storage_nodes_(std::move(storage_nodes)),
      options_(options) {
  CAIRN_ASSERT(options_.validate().ok());
  CAIRN_ASSERT(find_shards_ != nullptr);
  // Named at once, so that a run can assert that no sweep happened (a total of 0).
  for (const char* name : {"gc_sweeps_started", "gc_sweeps_done", "gc_sweeps_stopped",
                           "gc_shards_deleted", "gc_bytes_deleted", "gc_shards_in_grace"}) {
    rt_.metrics().counter(name);
  }
}

GcService::~GcService() {
  // The shard client may be a service added after this one, and so already destroyed.
  if (collector_ != nullptr) collector_->abandon();
  rt_.cancel(interval_timer_);
  rt_.cancel(watch_timer_);
}

void GcService::start() {
  storage::ShardClient* shards = find_shards_();
  if (shards == nullptr) {
    rt_.log().warn("gc: this node has no shard client; garbage collection is off here");
    return;
  }
  collector_ = std::make_unique<Collector>(
      rt_, *shards, options_.collector(),
      [this](NodeId node, const cas::Digest& d) { return referenced(node, d); });
  interval_timer_ = rt_.after(options_.interval, [this] { on_interval(); });
}

void GcService::check_invariants() const {
  CAIRN_ASSERT(!(barrier_pending_ && sweeping()));
  CAIRN_ASSERT(sweeping() || watch_timer_ == kNoTimer);
}

void GcService::on_interval() {
  interval_timer_ = rt_.after(options_.interval, [this] { on_interval(); });
  if (!raft_.is_leader() || sweeping() || barrier_pending_) return;
  // A leader new to its term may not have applied every committed entry yet: a read
  // through Raft returns once it has, so the sweep never judges against an older table.
  meta::wire::NsQuery q;
  q.mutable_nodes();
  barrier_pending_ = true;
  raft_.read(raft::MuxStateMachine::wrap(meta::kNamespaceChannel, q.SerializeAsString()),
             [this, token = std::weak_ptr<bool>(alive_)](absl::StatusOr<std::string> r) {
               if (token.expired()) return;
               barrier_pending_ = false;
               if (r.ok() && raft_.is_leader() && !sweeping()) begin();
             });
}

void GcService::begin() {
  const uint64_t sweep = ++sweeps_;
  rt_.metrics().counter("gc_sweeps_started").add();
  rt_.log().event(Event{"gc_sweep_start",
                        {{"sweep", static_cast<int64_t>(sweep)},
                         {"nodes", static_cast<int64_t>(storage_nodes_.size())}}});
  collector_->sweep(storage_nodes_, [this](const SweepReport& r) { on_done(r); });
  watch_timer_ = rt_.after(options_.leader_check, [this] { watch(); });
}

void GcService::watch() {
  watch_timer_ = kNoTimer;
  if (!sweeping()) return;
  if (raft_.is_leader()) {
    watch_timer_ = rt_.after(options_.leader_check, [this] { watch(); });
    return;
  }
  collector_->stop();
  rt_.metrics().counter("gc_sweeps_stopped").add();
  rt_.log().event(Event{"gc_sweep_stopped", {{"sweep", static_cast<int64_t>(sweeps_)}}});
}

void GcService::on_done(const SweepReport& r) {
  rt_.cancel(watch_timer_);
  watch_timer_ = kNoTimer;
  rt_.metrics().counter("gc_sweeps_done").add();
  rt_.metrics().counter("gc_shards_in_grace").add(static_cast<int64_t>(r.in_grace));
  rt_.log().event(Event{"gc_sweep_done",
                        {{"sweep", static_cast<int64_t>(sweeps_)},
                         {"listed", static_cast<int64_t>(r.listed)},
                         {"listed_bytes", static_cast<int64_t>(r.listed_bytes)},
                         {"deleted", static_cast<int64_t>(r.deleted)},
                         {"deleted_bytes", static_cast<int64_t>(r.deleted_bytes)},
                         {"kept", static_cast<int64_t>(r.referenced + r.in_grace)},
                         {"in_grace", static_cast<int64_t>(r.in_grace)},
                         {"skipped", static_cast<int64_t>(r.unreachable.size())},
                         {"errors", static_cast<int64_t>(r.delete_errors)}}});
}

bool GcService::referenced(NodeId node, const cas::Digest& shard) {
  if (!raft_.is_leader()) return true;  // judged on no view but the leader's
  // The table changes only by applying entries (or a snapshot): re-read it only then.
  if (placed_at_ != ns_.applied_index()) {
    placed_at_ = ns_.applied_index();
    placed_.clear();
    ns_.chunk_table().each([this](const storage::wire::Layout& wire) {
      auto layout = storage::from_wire(wire);
      CAIRN_ASSERT(layout.ok());  // the table holds only valid layouts (check_manifest)
      for (const storage::ShardPlace& p : layout->shards) placed_.insert({p.node, p.digest});
    });
  }
  return placed_.contains({node, shard});
}

absl::Status install(Node& node, const RoleContext& ctx, const GcOptions& options) {
  const std::vector<NodeId> storage_nodes = ctx.members("storage");
  if (storage_nodes.empty() || options.interval == Duration(0)) return absl::OkStatus();
  if (absl::Status st = options.validate(); !st.ok()) return st;
  auto* raft = node.find<raft::RaftService>();
  if (raft == nullptr) return absl::FailedPreconditionError("gc needs the meta role's Raft");
  const auto& mux = dynamic_cast<const raft::MuxStateMachine&>(raft->state_machine());
  const auto& ns =
      dynamic_cast<const meta::NamespaceStateMachine&>(mux.machine(meta::kNamespaceChannel));
  // A node that also stores shards has a client already (its storage role, installed after
  // this one, adds it); only a meta-only node needs its own. Two would claim the same
  // message types.
  const bool stores =
      std::binary_search(storage_nodes.begin(), storage_nodes.end(), ctx.runtime.self());
  if (!stores && node.find<storage::StorageClientService>() == nullptr) {
    auto client = std::make_unique<storage::StorageClientService>(ctx.runtime);
    if (absl::Status st = node.add(std::move(client)); !st.ok()) return st;
  }
  auto find = [&node]() -> storage::ShardClient* {
    auto* c = node.find<storage::StorageClientService>();
    return c != nullptr ? &c->client() : nullptr;
  };
  return node.add(
      std::make_unique<GcService>(ctx.runtime, *raft, ns, std::move(find), storage_nodes, options));
}

}  // namespace cairn::gc
