// StatService: a storage node's answer to the node-stat probe (core/storage/
// node_stat.proto): how many bytes its store may hold and has free. The meta leader's
// ScoreService (core/repair/score_service.h) asks it and times the answer.
//
// Promises:
//   - every readable request is answered once, after one call to the disk's space() (so
//     the answer waits in the node's disk queue like any other disk operation, and its
//     round trip shows a slow disk); Unavailable while the store is still recovering;
//   - capacity is the least of the store's limit and the disk's (0 when neither is
//     limited); free is what a put may still take of it (never above capacity);
//   - an unreadable request is counted (storage_bad_stat_requests) and dropped.
#pragma once

#include <memory>
#include <vector>

#include "core/cas/shard_store.h"
#include "core/runtime/service.h"
#include "core/storage/node_stat.pb.h"

namespace cairn::storage {

// The answer's space fields from the store's accounting and the disk's space.
void fill_space(const cas::StoreStats& store, const DiskSpace& disk, wire::NodeStatResponse* out);

class StatService final : public Service {
 public:
  // REQUIRES: store outlives the service.
  StatService(Runtime& rt, const cas::ShardStore& store) : rt_(rt), store_(store) {}

  static std::vector<MessageType> types();
  std::vector<MessageType> message_types() const override { return types(); }
  void start() override {}
  void on_message(NodeId from, const Message& message) override;

 private:
  void reply(NodeId to, const wire::NodeStatResponse& response);

  Runtime& rt_;
  const cas::ShardStore& store_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cairn::storage
