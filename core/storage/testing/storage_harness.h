// Test harness for the shard protocol: storage nodes of a ManualCluster, each a Node with
// a recovered ShardStore on its in-memory disk, a StorageService and a
// StorageClientService (so one node is storage node and client at once), plus helpers
// that issue a call and run the cluster until its callback ran.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/cas/shard_store.h"
#include "core/runtime/manual_runtime.h"
#include "core/runtime/service.h"
#include "core/storage/rpc_shard_client.h"
#include "core/storage/storage_service.h"

namespace cairn::storage::testing {

inline cas::Digest digest_of(const std::string& bytes) {
  return cas::Digest::of(std::string_view(bytes));
}

struct StorageNode {
  std::unique_ptr<cas::ShardStore> store;
  std::unique_ptr<Node> node;
  StorageService* service = nullptr;
  RpcShardClient* client = nullptr;
};

class StorageCluster {
 public:
  explicit StorageCluster(uint64_t seed = 1) : cluster_(seed) {}
  ~StorageCluster() {
    while (!nodes_.empty()) down(nodes_.begin()->first);
  }

  cas::ShardStoreOptions store_options;
  StorageServiceOptions service_options;
  RpcShardClientOptions client_options;
  // Called by up() before the node starts, to add services of the test's own.
  std::function<void(NodeId, StorageNode&)> more_services;

  // Adds (or brings back after crash()) node `id` with a recovered store.
  StorageNode& up(NodeId id) {
    if (!cluster_.is_up(id) && known_.contains(id)) cluster_.restart(id);
    if (!known_.contains(id)) cluster_.add_node(id);
    known_[id] = true;
    ManualRuntime& rt = cluster_.node(id);
    StorageNode& n = nodes_[id];
    n.store = std::make_unique<cas::ShardStore>(rt, store_options);
    bool recovered = false;
    n.store->recover([&](absl::StatusOr<cas::RecoveryReport> r) {
      EXPECT_TRUE(r.ok()) << r.status();
      recovered = true;
    });
    cluster_.advance(Duration(0));
    EXPECT_TRUE(recovered);
    n.node = std::make_unique<Node>(rt);
    auto service = std::make_unique<StorageService>(rt, *n.store, service_options);
    auto client = std::make_unique<StorageClientService>(rt, client_options);
    n.service = service.get();
    n.client = &client->client();
    EXPECT_TRUE(n.node->add(std::move(service)).ok());
    EXPECT_TRUE(n.node->add(std::move(client)).ok());
    if (more_services) more_services(id, n);
    n.node->start();
    cluster_.set_handler(
        id, [node = n.node.get()](NodeId from, const Message& m) { node->deliver(from, m); });
    return n;
  }

  // Crash: the node's services and store vanish with its pending events; the disk keeps
  // only what was synced.
  void crash(NodeId id) {
    down(id);
    cluster_.crash(id);
  }

  StorageNode& at(NodeId id) { return nodes_.at(id); }
  ManualCluster& cluster() { return cluster_; }
  MemDisk& disk(NodeId id) { return cluster_.node(id).mem_disk(); }

  // Runs the cluster in steps of `step` until `done` holds or `limit` passed.
  template <typename Pred>
  bool run_until(Pred done, Duration limit = std::chrono::seconds(60),
                 Duration step = std::chrono::milliseconds(1)) {
    const Time end = cluster_.now() + limit;
    while (!done() && cluster_.now() < end) {
      cluster_.advance(step);
      check_invariants();
    }
    return done();
  }
  void run_for(Duration d) {
    run_until([] { return false; }, d);
  }
  void check_invariants() {
    for (auto& [id, n] : nodes_) {
      if (n.node) n.node->check_invariants();
    }
  }

  // Synchronous calls from `from`'s client to `to`.
  absl::StatusOr<cas::PutResult> put(NodeId from, NodeId to, const std::string& bytes) {
    return put_as(from, to, digest_of(bytes), bytes);
  }
  absl::StatusOr<cas::PutResult> put_as(NodeId from, NodeId to, const cas::Digest& d,
                                        const std::string& bytes) {
    std::optional<absl::StatusOr<cas::PutResult>> out;
    at(from).client->put(to, d, Payload(bytes),
                         [&](absl::StatusOr<cas::PutResult> r) { out = std::move(r); });
    EXPECT_FALSE(out.has_value()) << "completed inline";
    run_until([&] { return out.has_value(); });
    return out.value_or(absl::InternalError("put did not complete"));
  }
  // Waits up to `limit` of simulated time (a get in 1-byte frames with a 1-byte window
  // takes a round trip per byte).
  absl::StatusOr<std::string> get(NodeId from, NodeId to, const cas::Digest& d, uint64_t offset,
                                  uint64_t length, Duration limit = std::chrono::seconds(60)) {
    std::optional<absl::StatusOr<Payload>> out;
    at(from).client->get(to, d, offset, length,
                         [&](absl::StatusOr<Payload> r) { out = std::move(r); });
    EXPECT_FALSE(out.has_value()) << "completed inline";
    run_until([&] { return out.has_value(); }, limit);
    if (!out) return absl::InternalError("get did not complete");
    if (!out->ok()) return out->status();
    return std::string((*out)->view());
  }
  absl::StatusOr<std::string> get(NodeId from, NodeId to, const cas::Digest& d,
                                  Duration limit = std::chrono::seconds(60)) {
    return get(from, to, d, 0, d.size_bytes(), limit);
  }
  absl::StatusOr<std::vector<cas::Digest>> find_missing(NodeId from, NodeId to,
                                                        std::vector<cas::Digest> ds) {
    std::optional<absl::StatusOr<std::vector<cas::Digest>>> out;
    at(from).client->find_missing(
        to, std::move(ds), [&](absl::StatusOr<std::vector<cas::Digest>> r) { out = std::move(r); });
    run_until([&] { return out.has_value(); });
    return out.value_or(absl::InternalError("find_missing did not complete"));
  }
  absl::StatusOr<ShardStat> stat(NodeId from, NodeId to, const cas::Digest& d) {
    std::optional<absl::StatusOr<ShardStat>> out;
    at(from).client->stat(to, d, [&](absl::StatusOr<ShardStat> r) { out = std::move(r); });
    run_until([&] { return out.has_value(); });
    return out.value_or(absl::InternalError("stat did not complete"));
  }
  absl::Status remove_if_idle(NodeId from, NodeId to, const cas::Digest& d, Duration idle_for) {
    std::optional<absl::Status> out;
    at(from).client->remove_if_idle(to, d, idle_for, [&](absl::Status s) { out = s; });
    run_until([&] { return out.has_value(); });
    return out.value_or(absl::InternalError("remove_if_idle did not complete"));
  }
  absl::StatusOr<ShardList> list(NodeId from, NodeId to, std::optional<cas::Digest> after,
                                 uint32_t max) {
    std::optional<absl::StatusOr<ShardList>> out;
    at(from).client->list(to, after, max, [&](absl::StatusOr<ShardList> r) { out = std::move(r); });
    run_until([&] { return out.has_value(); });
    return out.value_or(absl::InternalError("list did not complete"));
  }
  absl::Status remove(NodeId from, NodeId to, const cas::Digest& d) {
    std::optional<absl::Status> out;
    at(from).client->remove(to, d, [&](absl::Status s) { out = s; });
    run_until([&] { return out.has_value(); });
    return out.value_or(absl::InternalError("remove did not complete"));
  }

 private:
  void down(NodeId id) {
    auto it = nodes_.find(id);
    if (it == nodes_.end()) return;
    it->second.node.reset();  // services first: they refer to the store
    it->second.store.reset();
    nodes_.erase(it);
  }

  ManualCluster cluster_;
  std::map<NodeId, StorageNode> nodes_;
  std::map<NodeId, bool> known_;
};

}  // namespace cairn::storage::testing
