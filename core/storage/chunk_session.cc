#include "core/storage/chunk_session.h"

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/storage/chunk_wire.h"
#include "core/storage/status_wire.h"
#include "core/wire/message_types.h"

namespace cairn::storage {

ChunkSession::ChunkSession(Runtime& rt, std::vector<NodeId> coordinators,
                           ChunkSessionOptions options)
    : rt_(rt), coordinators_(std::move(coordinators)), options_(options) {
  CAIRN_ASSERT(!coordinators_.empty());
  CAIRN_ASSERT(options_.max_attempts >= 1);
  // Clients spread over coordinators from different starting points.
  next_ = rt_.rng().below(coordinators_.size());
}

ChunkSession::~ChunkSession() {
  for (auto& [key, call] : calls_) {
    if (call->timer != kNoTimer) rt_.cancel(call->timer);
  }
}

void ChunkSession::put(const cas::Digest& digest, Payload bytes, const WriteOptions& options,
                       PutDone done) {
  auto call = std::make_unique<Call>();
  *call->request.mutable_put() = put_to_wire(digest, options);
  call->payload = std::move(bytes);
  call->put_done = std::move(done);
  start(std::move(call));
}

void ChunkSession::read(const ChunkLayout& layout, uint64_t offset, uint64_t length,
                        ReadDone done) {
  auto call = std::make_unique<Call>();
  wire::GetChunk* get = call->request.mutable_get();
  *get->mutable_layout() = to_wire(layout);
  get->set_offset(offset);
  get->set_length(length);
  call->read_done = std::move(done);
  start(std::move(call));
}

void ChunkSession::start(std::unique_ptr<Call> call) {
  const uint64_t key = next_key_++;
  call->started = rt_.now();
  calls_[key] = std::move(call);
  // The first attempt is sent from a timer, so that callbacks never run inside put/read.
  calls_[key]->timer = rt_.after(Duration(0), [this, key, token = std::weak_ptr<bool>(alive_)] {
    if (token.expired()) return;
    calls_[key]->timer = kNoTimer;
    attempt(key);
  });
}

void ChunkSession::attempt(uint64_t key) {
  Call& c = *calls_[key];
  ++c.attempts;
  // The next coordinator in turn, skipping those that lately left an attempt unanswered
  // (unless all did).
  c.at = coordinators_[next_++ % coordinators_.size()];
  for (size_t i = 0; i < coordinators_.size(); ++i) {
    auto it = avoid_until_.find(c.at);
    if (it == avoid_until_.end() || it->second <= rt_.now()) break;
    c.at = coordinators_[next_++ % coordinators_.size()];
  }
  by_request_.erase(c.attempt_id);
  c.attempt_id = next_request_++;
  by_request_[c.attempt_id] = key;
  c.request.set_request_id(c.attempt_id);
  Message m;
  m.type = cairn::wire::kChunkRequest;
  c.request.SerializeToString(&m.header);
  m.payload = c.payload;
  rt_.send(c.at, std::move(m));
  c.timer = rt_.after(options_.attempt_timeout, [this, key, at = c.at,
                                                 token = std::weak_ptr<bool>(alive_)] {
    if (token.expired()) return;
    calls_[key]->timer = kNoTimer;
    avoid_until_[at] = rt_.now() + options_.avoid_for;
    retry_or_finish(
        key, absl::UnavailableError(absl::StrCat("no answer from n", at, " within the timeout")));
  });
}

void ChunkSession::on_response(NodeId from, const Message& message) {
  wire::ChunkResponse response;
  if (!response.ParseFromString(message.header)) {
    rt_.metrics().counter("storage_bad_chunk_responses").add();
    return;
  }
  auto it = by_request_.find(response.request_id());
  if (it == by_request_.end()) return;  // stale: an attempt given up on
  const uint64_t key = it->second;
  Call& c = *calls_[key];
  if (from != c.at) return;
  if (c.timer != kNoTimer) rt_.cancel(c.timer);
  c.timer = kNoTimer;
  const absl::Status status = from_wire(response.status());
  if (absl::IsUnavailable(status)) {
    absl::Status busy(status.code(), absl::StrCat("n", from, ": ", status.message()));
    if (rt_.now() - c.started < options_.busy_retry_for) return pause_then_retry(key);
    return retry_or_finish(key, std::move(busy));
  }
  finish(key, status, &response, message.payload);
}

void ChunkSession::on_unreachable(NodeId coordinator) {
  avoid_until_[coordinator] = rt_.now() + options_.avoid_for;
  for (auto& [key, call] : calls_) {
    if (call->at != coordinator || call->timer == kNoTimer) continue;
    // Retried from a timer, so that no attempt is sent from inside the runner's callback.
    rt_.cancel(call->timer);
    by_request_.erase(call->attempt_id);
    call->timer =
        rt_.after(Duration(0), [this, key = key, coordinator, token = std::weak_ptr<bool>(alive_)] {
          if (token.expired()) return;
          calls_[key]->timer = kNoTimer;
          retry_or_finish(
              key, absl::UnavailableError(absl::StrCat("n", coordinator, " is unreachable")));
        });
  }
}

void ChunkSession::pause_then_retry(uint64_t key) {
  Call& c = *calls_[key];
  c.pause = c.pause == Duration(0) ? options_.busy_pause_min
                                   : std::min(options_.busy_pause_max, 2 * c.pause);
  by_request_.erase(c.attempt_id);
  c.timer = rt_.after(c.pause, [this, key, token = std::weak_ptr<bool>(alive_)] {
    if (token.expired()) return;
    Call& call = *calls_[key];
    call.timer = kNoTimer;
    --call.attempts;  // a busy answer does not use up an attempt
    attempt(key);
  });
}

void ChunkSession::retry_or_finish(uint64_t key, absl::Status status) {
  Call& c = *calls_[key];
  if (c.attempts < options_.max_attempts) return attempt(key);
  finish(key,
         absl::Status(status.code(),
                      absl::StrCat("after ", c.attempts, " attempts: ", status.message())),
         nullptr, {});
}

void ChunkSession::finish(uint64_t key, absl::Status status, const wire::ChunkResponse* response,
                          Payload payload) {
  std::unique_ptr<Call> c = std::move(calls_[key]);
  calls_.erase(key);
  by_request_.erase(c->attempt_id);
  if (c->put_done) {
    if (!status.ok()) return c->put_done(status);
    auto layout = from_wire(response->layout());
    if (!layout.ok()) {
      return c->put_done(absl::DataLossError(absl::StrCat(
          "the coordinator answered an unreadable layout: ", layout.status().message())));
    }
    return c->put_done(std::move(*layout));
  }
  if (!status.ok()) return c->read_done(status);
  c->read_done(std::move(payload));
}

}  // namespace cairn::storage
