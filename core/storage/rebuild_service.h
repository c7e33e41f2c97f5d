// The rebuild request on the wire (core/storage/rebuild.proto): RebuildService runs a
// storage node's Rebuilder for requests from repair; RebuildClient sends them (from the
// meta leader) and delivers each answer. The same pair carries repair's audit: which of
// a list of shards the node lacks (lost with its disk, or quarantined as rotten).
//
// Promises:
//   - a malformed request is answered InvalidArgument (when its id could be read) and
//     nothing is rebuilt; otherwise the answer carries the Rebuilder's status unchanged;
//   - an audit is answered from the store's index: Unavailable while the store is still
//     recovering (so a restarting node is never taken for an empty one), at most
//     max_audit_shards shards per request (more: InvalidArgument);
//   - RebuildClient runs each callback exactly once, later, on the runtime's thread:
//     with the node's answer, or Unavailable if none came within `timeout` (audit_timeout
//     for an audit) (the node may
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
  // The failure detector's view of which nodes are up (Rebuilder::set_alive).
  void set_alive(Rebuilder::Alive alive) { rebuilder_.set_alive(std::move(alive)); }

  static constexpr size_t kMaxAuditShards = 4096;

 private:
  void on_rebuild(NodeId from, const Message& message);
  void on_audit(NodeId from, const Message& message);
  void reply(NodeId to, uint64_t request_id, const absl::Status& status);

  Runtime& rt_;
  cas::ShardStore& store_;
  Rebuilder rebuilder_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

struct RebuildClientOptions {
  Duration timeout = std::chrono::seconds(30);       // a rebuild
  Duration audit_timeout = std::chrono::seconds(5);  // an audit (an index lookup)
  size_t max_pending = 1024;                         // beyond: Unavailable at once
};

class RebuildClient final : public Service {
 public:
  using Done = std::function<void(absl::Status)>;
  // The indices (ascending) of the asked shards the node lacks, or why it cannot say.
  using AuditDone = std::function<void(absl::StatusOr<std::vector<size_t>>)>;

  explicit RebuildClient(Runtime& rt, RebuildClientOptions options = {});
  ~RebuildClient() override;
  static std::vector<MessageType> types();
  std::vector<MessageType> message_types() const override { return types(); }
  void start() override {}
  void on_message(NodeId from, const Message& message) override;

  // Asks `node` to rebuild shards `shards` of `layout` into its store (copy_first: a move,
  // Rebuilder::rebuild).
  void rebuild(NodeId node, const ChunkLayout& layout, const std::vector<int>& shards, Done done,
               bool copy_first = false, NodeId copy_from = kNoNode);
  // Asks `node` which of `shards` (at most RebuildService::kMaxAuditShards) it lacks.
  void audit(NodeId node, const std::vector<cas::Digest>& shards, AuditDone done);
  size_t pending() const { return pending_.size(); }

 private:
  using Answer = std::function<void(absl::StatusOr<std::vector<size_t>>)>;
  struct Pending {
    NodeId node = kNoNode;
    MessageType answer_type = 0;
    Answer done;
    TimerId timer = kNoTimer;
  };
  // Sends `m` (whose request id is `id`) and waits up to `timeout` for its answer of
  // `answer_type`.
  void call(NodeId node, uint64_t id, Message m, MessageType answer_type, Duration timeout,
            Answer done);
  void finish(uint64_t id, absl::StatusOr<std::vector<size_t>> result);

  Runtime& rt_;
  RebuildClientOptions options_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Pending> pending_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cairn::storage
