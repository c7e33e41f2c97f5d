#include "core/storage/rebuild_service.h"

#include "absl/strings/str_cat.h"
#include "core/storage/chunk_wire.h"
#include "core/storage/rebuild.pb.h"
#include "core/storage/status_wire.h"
#include "core/storage/storage_codec.h"
#include "core/wire/message_types.h"

namespace cairn::storage {

// ---- node side ----

RebuildService::RebuildService(Runtime& rt, ShardClient& shards, cas::ShardStore& store,
                               RebuilderOptions options)
    : rt_(rt), store_(store), rebuilder_(rt, shards, store, options) {}

std::vector<MessageType> RebuildService::types() {
  return {cairn::wire::kShardRebuild, cairn::wire::kShardAudit};
}

void RebuildService::on_message(NodeId from, const Message& message) {
  if (message.type == cairn::wire::kShardAudit) return on_audit(from, message);
  on_rebuild(from, message);
}

void RebuildService::on_audit(NodeId from, const Message& message) {
  wire::AuditRequest request;
  wire::AuditResponse response;
  absl::Status st;
  if (!request.ParseFromString(message.header)) {
    rt_.metrics().counter("storage_bad_rebuild_requests").add();
    st = absl::InvalidArgumentError("unreadable audit request");
  } else if (static_cast<size_t>(request.shards_size()) > kMaxAuditShards) {
    st = absl::InvalidArgumentError(absl::StrCat("an audit asks at most ", kMaxAuditShards,
                                                 " shards, not ", request.shards_size()));
  } else if (!store_.is_open()) {
    st = absl::UnavailableError("the shard store is still recovering");
  } else {
    for (int i = 0; i < request.shards_size(); ++i) {
      auto d = digest_from(request.shards(i));
      if (!d.ok()) {
        st = d.status();
        response.clear_missing();
        break;
      }
      if (!store_.contains(*d)) response.add_missing(static_cast<uint32_t>(i));
    }
  }
  response.set_request_id(request.request_id());
  *response.mutable_status() = to_wire(st);
  Message m;
  m.type = cairn::wire::kShardAuditDone;
  response.SerializeToString(&m.header);
  rt_.send(from, std::move(m));
}

void RebuildService::on_rebuild(NodeId from, const Message& message) {
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
    if (s >= static_cast<uint32_t>(layout->slots())) {
      return reply(from, id,
                   absl::InvalidArgumentError(
                       absl::StrCat("shard ", s, " out of range for ", layout->code_name())));
    }
    shards.push_back(static_cast<int>(s));
  }
  rebuilder_.rebuild(
      *layout, std::move(shards),
      [this, from, id, token = std::weak_ptr<bool>(alive_)](absl::Status st) {
        if (token.expired()) return;
        reply(from, id, st);
      },
      request.copy_first(), static_cast<NodeId>(request.copy_from()));
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

std::vector<MessageType> RebuildClient::types() {
  return {cairn::wire::kShardRebuildDone, cairn::wire::kShardAuditDone};
}

void RebuildClient::rebuild(NodeId node, const ChunkLayout& layout, const std::vector<int>& shards,
                            Done done, bool copy_first, NodeId copy_from) {
  const uint64_t id = next_id_++;
  wire::RebuildRequest request;
  request.set_request_id(id);
  request.set_copy_first(copy_first);
  request.set_copy_from(copy_from);
  *request.mutable_layout() = to_wire(layout);
  for (int s : shards) request.add_shards(static_cast<uint32_t>(s));
  Message m;
  m.type = cairn::wire::kShardRebuild;
  request.SerializeToString(&m.header);
  call(node, id, std::move(m), cairn::wire::kShardRebuildDone, options_.timeout,
       [done = std::move(done)](absl::StatusOr<std::vector<size_t>> r) { done(r.status()); });
}

void RebuildClient::audit(NodeId node, const std::vector<cas::Digest>& shards, AuditDone done) {
  const uint64_t id = next_id_++;
  wire::AuditRequest request;
  request.set_request_id(id);
  for (const cas::Digest& d : shards) digest_to(d, request.add_shards());
  Message m;
  m.type = cairn::wire::kShardAudit;
  request.SerializeToString(&m.header);
  call(node, id, std::move(m), cairn::wire::kShardAuditDone, options_.audit_timeout,
       std::move(done));
}

void RebuildClient::call(NodeId node, uint64_t id, Message m, MessageType answer_type,
                         Duration timeout, Answer done) {
  if (pending_.size() >= options_.max_pending) {
    rt_.after(Duration(0), [done = std::move(done)] {
      done(absl::UnavailableError("too many repair requests pending"));
    });
    return;
  }
  Pending& p = pending_[id];
  p.node = node;
  p.answer_type = answer_type;
  p.done = std::move(done);
  p.timer = rt_.after(timeout, [this, id, node, token = std::weak_ptr<bool>(alive_)] {
    if (token.expired()) return;
    pending_[id].timer = kNoTimer;
    finish(id, absl::UnavailableError(absl::StrCat("n", node, " did not answer in time")));
  });
  rt_.send(node, std::move(m));
}

void RebuildClient::on_message(NodeId from, const Message& message) {
  uint64_t id = 0;
  wire::Status status;
  std::vector<size_t> missing;
  bool parsed = false;
  if (message.type == cairn::wire::kShardAuditDone) {
    wire::AuditResponse r;
    parsed = r.ParseFromString(message.header);
    id = r.request_id();
    status = r.status();
    missing.assign(r.missing().begin(), r.missing().end());
  } else {
    wire::RebuildResponse r;
    parsed = r.ParseFromString(message.header);
    id = r.request_id();
    status = r.status();
  }
  if (!parsed) {
    rt_.metrics().counter("storage_bad_rebuild_responses").add();
    return;
  }
  auto it = pending_.find(id);
  if (it == pending_.end() || it->second.node != from || it->second.answer_type != message.type) {
    return;  // late, or not ours
  }
  absl::Status st = from_wire(status);
  if (!st.ok()) return finish(id, st);
  finish(id, std::move(missing));
}

void RebuildClient::finish(uint64_t id, absl::StatusOr<std::vector<size_t>> result) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  rt_.cancel(it->second.timer);
  Answer done = std::move(it->second.done);
  pending_.erase(it);
  done(std::move(result));
}

}  // namespace cairn::storage
