#include "core/storage/rebuild_service.h"

#include "absl/strings/str_cat.h"
#include "core/storage/chunk_wire.h"
#include "core/storage/rebuild.pb.h"
#include "core/storage/status_wire.h"
#include "core/wire/message_types.h"

namespace cairn::storage {

// ---- node side ----

RebuildService::RebuildService(Runtime& rt, ShardClient& shards, cas::ShardStore& store,
                               RebuilderOptions options)
    : rt_(rt), rebuilder_(rt, shards, store, options) {}

std::vector<MessageType> RebuildService::types() { return {cairn::wire::kShardRebuild}; }

void RebuildService::on_message(NodeId from, const Message& message) {
  wire::RebuildRequest request;
  if (!request.ParseFromString(message.header)) {
    rt_.metrics().counter("storage_bad_rebuild_requests").add();
    return reply(from, 0, absl::InvalidArgumentError("unreadable rebuild request"));
  }
  const uint64_t id = request.request_id();
  auto layout = from_wire(request.layout());
  if (!layout.ok()) return reply(from, id, layout.status());
  std::vector<int> shards;
  for (uint32_t s : request.shards()) {
    if (s >= static_cast<uint32_t>(layout->total_shards())) {
      return reply(from, id,
                   absl::InvalidArgumentError(
                       absl::StrCat("shard ", s, " out of range for ", layout->code_name())));
    }
    shards.push_back(static_cast<int>(s));
  }
  rebuilder_.rebuild(*layout, std::move(shards),
                     [this, from, id, token = std::weak_ptr<bool>(alive_)](absl::Status st) {
                       if (token.expired()) return;
                       reply(from, id, st);
                     });
}

void RebuildService::reply(NodeId to, uint64_t request_id, const absl::Status& status) {
  wire::RebuildResponse response;
  response.set_request_id(request_id);
  *response.mutable_status() = to_wire(status);
  Message m;
  m.type = cairn::wire::kShardRebuildDone;
  response.SerializeToString(&m.header);
  rt_.send(to, std::move(m));
}

// ---- requester side ----

RebuildClient::RebuildClient(Runtime& rt, RebuildClientOptions options)
    : rt_(rt), options_(options) {}

RebuildClient::~RebuildClient() {
  for (auto& [id, p] : pending_) rt_.cancel(p.timer);
}

std::vector<MessageType> RebuildClient::types() { return {cairn::wire::kShardRebuildDone}; }

void RebuildClient::later(Done done, absl::Status status) {
  rt_.after(Duration(0), [done = std::move(done), status] { done(status); });
}

void RebuildClient::rebuild(NodeId node, const ChunkLayout& layout, const std::vector<int>& shards,
                            Done done) {
  if (pending_.size() >= options_.max_pending) {
    return later(std::move(done), absl::UnavailableError("too many rebuilds pending"));
  }
  const uint64_t id = next_id_++;
  wire::RebuildRequest request;
  request.set_request_id(id);
  *request.mutable_layout() = to_wire(layout);
  for (int s : shards) request.add_shards(static_cast<uint32_t>(s));
  Message m;
  m.type = cairn::wire::kShardRebuild;
  request.SerializeToString(&m.header);
  Pending& p = pending_[id];
  p.node = node;
  p.done = std::move(done);
  p.timer = rt_.after(options_.timeout, [this, id, node, token = std::weak_ptr<bool>(alive_)] {
    if (token.expired()) return;
    pending_[id].timer = kNoTimer;
    finish(id, absl::UnavailableError(absl::StrCat("n", node, " did not answer a rebuild")));
  });
  rt_.send(node, std::move(m));
}

void RebuildClient::on_message(NodeId from, const Message& message) {
  wire::RebuildResponse response;
  if (!response.ParseFromString(message.header)) {
    rt_.metrics().counter("storage_bad_rebuild_responses").add();
    return;
  }
  auto it = pending_.find(response.request_id());
  if (it == pending_.end() || it->second.node != from) return;  // late, or not ours
  finish(response.request_id(), from_wire(response.status()));
}

void RebuildClient::finish(uint64_t id, const absl::Status& status) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  rt_.cancel(it->second.timer);
  Done done = std::move(it->second.done);
  pending_.erase(it);
  done(status);
}

}  // namespace cairn::storage
