#include "core/storage/roles.h"

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/membership/membership.h"
#include "core/placement/ring.h"
#include "core/storage/chunk_service.h"
#include "core/storage/chunk_workload.h"
#include "core/storage/placement_listener.h"
#include "core/storage/rebuild_service.h"
#include "core/storage/stat_service.h"

namespace cairn::storage {
namespace {

// Owns what the storage services share on a node: the store, the coordinator and the
// scrubber. It serves no message; it recovers the store when the node boots.
class StorageHost final : public Service {
 public:
  StorageHost(Runtime& rt, const StorageOptions& o, ShardClient& shards,
              std::shared_ptr<const placement::PlacementPolicy> placement)
      : rt_(rt),
        options_(o),
        store_(rt, o.store),
        coordinator_(rt, shards, std::move(placement), o.coordinator) {}

  std::vector<MessageType> message_types() const override { return {}; }
  void start() override {
    store_.recover([this](absl::StatusOr<cas::RecoveryReport> r) {
      if (!r.ok()) {
        rt_.log().error(absl::StrCat("shard store recovery failed: ", r.status().ToString()));
        return;
      }
      rt_.log().event(Event{"storage_ready",
                            {{"blobs", static_cast<int64_t>(r->blobs)},
                             {"temporaries_removed", static_cast<int64_t>(r->temporaries_removed)},
                             {"quarantined", static_cast<int64_t>(r->quarantined)}}});
      if (options_.scrub_bytes_per_second > 0) {
        cas::ScrubberOptions so;
        so.bytes_per_second = options_.scrub_bytes_per_second;
        so.rest_between_passes = options_.scrub_rest;
        scrubber_ = std::make_unique<cas::Scrubber>(store_, so, [](const cas::Digest&) {});
        scrubber_->start();
      }
    });
  }
  void on_message(NodeId, const Message&) override {}
  void check_invariants() const override { store_.check_invariants(); }

  cas::ShardStore& store() { return store_; }
  Coordinator& coordinator() { return coordinator_; }

 private:
  Runtime& rt_;
  StorageOptions options_;
  cas::ShardStore store_;
  Coordinator coordinator_;
  std::unique_ptr<cas::Scrubber> scrubber_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<const placement::PlacementPolicy>> storage_placement(
    const RoleContext& ctx) {
  const std::vector<NodeId> members = ctx.members("storage");
  placement::Membership m;
  m.epoch = 1;
  for (NodeId id : members) {
    m.nodes.push_back({id, ctx.zone_of ? ctx.zone_of(id) : std::string(), "", 1.0});
  }
  auto ring = placement::Ring::build(m, {});
  if (!ring.ok()) return ring.status();
  return std::make_shared<placement::Ring>(std::move(*ring));
}

void StorageOptions::visit(SettingsVisitor& v) {
  v.bytes("capacity", store.capacity_bytes);
  v.count("replicas", coordinator.replicas, 1, 32);
  v.count("data_shards", coordinator.data_shards, 1, 31);
  v.count("parity_shards", coordinator.parity_shards, 1, 31);
  v.bytes("replicate_below", coordinator.replicate_below_bytes);
  v.count("replica_quorum", coordinator.replica_quorum, 1, 32);
  v.count("extra_quorum", coordinator.extra_quorum, 0, 31);
  v.duration("hedge_after", coordinator.hedge_initial);
  v.flag("mirror_pairs", coordinator.mirror_pairs);
  v.count("max_transfers", service.max_transfers, 1, 100000);
  v.bytes("frame_bytes", service.frame_bytes);
  v.bytes("window_bytes", service.window_bytes);
  v.duration("idle_timeout", service.idle_timeout);
  v.duration("working_notice", service.working_notice);
  v.bytes("scrub_per_second", scrub_bytes_per_second);
  v.duration("scrub_rest", scrub_rest);
}

absl::Status StorageOptions::validate() const {
  const CoordinatorOptions& c = coordinator;
  if (c.data_shards + c.parity_shards > 32) {
    return absl::InvalidArgumentError("data_shards + parity_shards is at most 32");
  }
  if (c.replica_quorum > c.replicas) {
    return absl::InvalidArgumentError("replica_quorum is above replicas");
  }
  if (c.extra_quorum > c.parity_shards) {
    return absl::InvalidArgumentError("extra_quorum is above parity_shards");
  }
  if (service.frame_bytes < 4096 || service.frame_bytes > store.max_read_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame_bytes must lie in [4KiB, ", store.max_read_bytes, " bytes]"));
  }
  if (service.window_bytes < service.frame_bytes) {
    return absl::InvalidArgumentError("window_bytes is below frame_bytes");
  }
  if (service.idle_timeout <= Duration(0)) {
    return absl::InvalidArgumentError("idle_timeout must be positive");
  }
  if (const Duration limit = RpcShardClientOptions{}.call_timeout;
      service.working_notice <= Duration(0) || service.working_notice >= limit) {
    return absl::InvalidArgumentError(
        absl::StrCat("working_notice must lie in (0, ", to_seconds(limit),
                     " s): a shard client gives up on a node silent that long"));
  }
  return absl::OkStatus();
}

RoleInfo storage_role() {
  RoleInfo r;
  r.name = "storage";
  r.summary = "a content-addressed shard store and a coordinator for chunks";
  r.settings = "storage";
  r.peer_types = StorageService::types();
  for (MessageType t : RebuildService::types()) r.peer_types.push_back(t);
  for (MessageType t : PlacementListener::types()) r.peer_types.push_back(t);
  for (MessageType t : StatService::types()) r.peer_types.push_back(t);
  for (MessageType t : StorageClientService::types()) r.peer_types.push_back(t);
  r.client_types = ChunkService::types();
  r.client_payload_max = CoordinatorOptions{}.max_chunk_bytes;  // a whole chunk per put or get
  r.make_options = [] { return std::make_unique<StorageOptions>(); };
  r.install = [](Node& node, const RoleContext& ctx, const RoleOptions* options) {
    const auto* given = dynamic_cast<const StorageOptions*>(options);
    CAIRN_ASSERT(given != nullptr);
    // The store takes a frame as one piece; both ends of the shard protocol use one size.
    StorageOptions opts = *given;
    opts.store.max_piece_bytes = std::max(opts.store.max_piece_bytes, opts.service.frame_bytes);
    const StorageOptions* o = &opts;
    auto placement = storage_placement(ctx);
    if (!placement.ok()) return placement.status();
    if (const CoordinatorOptions& c = o->coordinator; c.mirror_pairs) {
      const size_t paired = (*placement)->topology().size() / 2 * 2;
      const int wanted = 2 * std::max(c.data_shards + c.parity_shards, c.replicas);
      if (paired < static_cast<size_t>(wanted)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "storage.mirror_pairs: rs(", c.data_shards, ",", c.parity_shards, ") and rep(",
            c.replicas, ") mirrored need ", wanted, " storage nodes in pairs; ",
            (*placement)->topology().size(), " are members"));
      }
    }
    auto client = std::make_unique<StorageClientService>(
        ctx.runtime, RpcShardClientOptions{.frame_bytes = o->service.frame_bytes,
                                           .window_bytes = o->service.window_bytes});
    auto host = std::make_unique<StorageHost>(ctx.runtime, *o, client->client(), *placement);
    auto service = std::make_unique<StorageService>(ctx.runtime, host->store(), o->service);
    auto chunks = std::make_unique<ChunkService>(ctx.runtime, host->coordinator());
    auto rebuilds = std::make_unique<RebuildService>(ctx.runtime, client->client(), host->store());
    if (auto* detector = node.find<membership::Membership>()) {
      auto up = [detector](NodeId id) {
        return detector->table().get(id).state != membership::State::kDead;
      };
      host->coordinator().set_alive(up);
      rebuilds->set_alive(up);
    }
    // New writes follow the registry's placement once the meta leader tells it.
    auto listener = std::make_unique<PlacementListener>(
        ctx.runtime, (*placement)->epoch(),
        [coordinator = &host->coordinator()](auto policy) { coordinator->set_placement(policy); });
    auto stats = std::make_unique<StatService>(ctx.runtime, host->store());
    if (auto st = node.add(std::move(host)); !st.ok()) return st;
    if (auto st = node.add(std::move(client)); !st.ok()) return st;
    if (auto st = node.add(std::move(service)); !st.ok()) return st;
    if (auto st = node.add(std::move(rebuilds)); !st.ok()) return st;
    if (auto st = node.add(std::move(listener)); !st.ok()) return st;
    if (auto st = node.add(std::move(stats)); !st.ok()) return st;
    return node.add(std::move(chunks));
  };
  return r;
}

RoleInfo chunk_client_role() {
  RoleInfo r;
  r.name = "chunk_client";
  r.summary = "simulated clients writing chunks and reading them back (cairn-sim)";
  r.settings = "chunks";
  r.client_endpoint = true;
  r.peer_types = ChunkWorkload::types();
  r.make_options = [] { return std::make_unique<ChunkWorkloadOptions>(); };
  r.install = [](Node& node, const RoleContext& ctx, const RoleOptions* options) {
    const auto* o = dynamic_cast<const ChunkWorkloadOptions*>(options);
    CAIRN_ASSERT(o != nullptr);
    auto* sink = ctx.hooks.get<ChunkHistorySink>();
    if (sink == nullptr) return absl::FailedPreconditionError("chunk_client needs a history sink");
    std::vector<NodeId> coordinators = ctx.members("storage");
    if (coordinators.empty())
      return absl::FailedPreconditionError("chunk_client needs storage nodes");
    return node.add(
        std::make_unique<ChunkWorkload>(ctx.runtime, std::move(coordinators), *o, sink));
  };
  return r;
}

}  // namespace cairn::storage
