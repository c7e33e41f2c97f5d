// The rebuild request on the wire (core/storage/rebuild.proto): RebuildService runs a
// storage node's Rebuilder for requests from repair; RebuildClient sends them (from the
// meta leader) and delivers each answer.
//
// Promises:
//   - a malformed request is answered InvalidArgument (when its id could be read) and
//     nothing is rebuilt; otherwise the answer carries the Rebuilder's status unchanged;
//   - RebuildClient runs each callback exactly once, later, on the runtime's thread:
//     with the node's answer, or Unavailable if none came within `timeout` (the node may
//     still finish: rebuilding twice is harmless, a store deduplicates); a late or unknown
//     answer is ignored.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "core/runtime/service.h"
#include "core/storage/rebuild.h"

namespace cairn::storage {

class RebuildService final : public Service {
 public:
  // REQUIRES: shards and store outlive the service; the store is recovered.
  RebuildService(Runtime& rt, ShardClient& shards, cas::ShardStore& store,
                 RebuilderOptions options = {});
  static std::vector<MessageType> types();
  std::vector<MessageType> message_types() const override { return types(); }
  void start() override {}
  void on_message(NodeId from, const Message& message) override;
  const Rebuilder& rebuilder() const { return rebuilder_; }

 private:
  void reply(NodeId to, uint64_t request_id, const absl::Status& status);

  Runtime& rt_;
  Rebuilder rebuilder_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

struct RebuildClientOptions {
  Duration timeout = std::chrono::seconds(30);
  size_t max_pending = 1024;  // beyond: Unavailable at once
};

class RebuildClient final : public Service {
 public:
  using Done = std::function<void(absl::Status)>;

  explicit RebuildClient(Runtime& rt, RebuildClientOptions options = {});
  ~RebuildClient() override;
  static std::vector<MessageType> types();
  std::vector<MessageType> message_types() const override { return types(); }
  void start() override {}
  void on_message(NodeId from, const Message& message) override;

  // Asks `node` to rebuild shards `shards` of `layout` into its store.
  void rebuild(NodeId node, const ChunkLayout& layout, const std::vector<int>& shards, Done done);
  size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    NodeId node = kNoNode;
    Done done;
    TimerId timer = kNoTimer;
  };
  void finish(uint64_t id, const absl::Status& status);
  void later(Done done, absl::Status status);

  Runtime& rt_;
  RebuildClientOptions options_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Pending> pending_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cairn::storage
