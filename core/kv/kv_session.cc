#include "core/kv/kv_session.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/wire/message_types.h"

namespace cairn::kv {
namespace {

// request_id = sequence << 8 | attempt: an answer names the operation and the attempt.
constexpr uint64_t kAttemptBits = 8;
constexpr uint64_t kAttemptMask = (uint64_t{1} << kAttemptBits) - 1;

int64_t to_ms(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

KvSession::KvSession(Runtime& rt, std::vector<NodeId> servers, uint64_t client_id,
                     KvSessionOptions options)
    : rt_(rt), servers_(std::move(servers)), client_id_(client_id), options_(options) {
  CAIRN_ASSERT(!servers_.empty());
  CAIRN_ASSERT(client_id_ != 0);
  CAIRN_ASSERT(options_.max_attempts >= 1);
  CAIRN_ASSERT(options_.max_attempts <= kMaxAttempts);
  CAIRN_ASSERT(options_.attempt_timeout > Duration(0));
  leader_guess_ = servers_.front();
}

KvSession::~KvSession() {
  rt_.cancel(timer_);
  if (deadline_timer_ != kNoTimer) rt_.cancel(deadline_timer_);
}

void KvSession::set_leader_guess(NodeId server) {
  CAIRN_ASSERT(server != kNoNode);
  leader_guess_ = server;
}

NodeId KvSession::next_server(NodeId after) const {
  auto it = std::find(servers_.begin(), servers_.end(), after);
  if (it == servers_.end() || ++it == servers_.end()) return servers_.front();
  return *it;
}

void KvSession::run(wire::KvCommand command, Done done) {
  CAIRN_ASSERT(!active_);
  CAIRN_ASSERT(done != nullptr);
  active_ = true;
  ++seq_;
  attempt_ = 0;
  backoffs_ = 0;
  command_ = std::move(command);
  command_.set_client_id(client_id_);
  command_.set_sequence(seq_);
  done_ = std::move(done);
  last_error_ = "no attempt was answered";
  target_ = leader_guess_;
  if (options_.deadline > Duration(0)) {
    deadline_timer_ = rt_.after(options_.deadline, [this] {
      deadline_timer_ = kNoTimer;
      finish(give_up_status());
    });
  }
  send_attempt();
}

void KvSession::send_attempt() {
  if (!active_) return;
  if (attempt_ >= options_.max_attempts) return finish(give_up_status());
  ++attempt_;
  CAIRN_ASSERT(attempt_ <= kAttemptMask);
  wire::KvRequest req;
  req.set_request_id(seq_ << kAttemptBits | attempt_);
  *req.mutable_command() = command_;
  rt_.send(target_, Message{.type = cairn::wire::kKvRequest, .header = req.SerializeAsString()});
  rt_.cancel(timer_);
  timer_ = rt_.after(options_.attempt_timeout, [this] {
    last_error_ =
        absl::StrCat(name(target_), ": no answer within ", to_ms(options_.attempt_timeout), " ms");
    target_ = next_server(target_);
    send_attempt();
  });
}

void KvSession::on_response(NodeId, const wire::KvResponse& r) {
  if (!active_ || (r.request_id() >> kAttemptBits) != seq_) return;  // an old operation
  if (r.status() == wire::KV_OK) {
    leader_guess_ = target_;
    return finish(r.result());
  }
  // Refusals count only for the current attempt (an old attempt's is stale news).
  if ((r.request_id() & kAttemptMask) != attempt_) return;
  if (r.status() == wire::KV_INVALID) return finish(absl::InvalidArgumentError(r.error()));
  last_error_ = absl::StrCat(name(target_), ": ", r.error());
  const NodeId hint = static_cast<NodeId>(r.leader_hint());
  if (r.status() == wire::KV_NOT_LEADER && hint != kNoNode && hint != target_) {
    target_ = leader_guess_ = hint;
    return send_attempt();
  }
  if (r.status() == wire::KV_NOT_LEADER) target_ = next_server(target_);
  back_off_then_retry();
}

void KvSession::on_unreachable(NodeId server) {
  if (!active_ || server != target_) return;
  last_error_ = absl::StrCat(name(server), ": unreachable");
  target_ = next_server(target_);
  back_off_then_retry();
}

void KvSession::back_off_then_retry() {
  const Duration cap = std::max(options_.backoff, options_.backoff_max);
  Duration delay = options_.backoff;
  for (uint32_t i = 0; i < backoffs_ && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  ++backoffs_;
  rt_.cancel(timer_);
  timer_ = rt_.after(delay, [this] { send_attempt(); });
}

void KvSession::finish(absl::StatusOr<wire::KvResult> result) {
  CAIRN_ASSERT(active_);
  rt_.cancel(timer_);
  if (deadline_timer_ != kNoTimer) rt_.cancel(deadline_timer_);
  deadline_timer_ = kNoTimer;
  active_ = false;
  Done done = std::move(done_);
  done_ = nullptr;
  done(std::move(result));
}

std::string KvSession::name(NodeId server) const {
  return options_.server_name ? options_.server_name(server) : absl::StrCat("server ", server);
}

absl::Status KvSession::give_up_status() const {
  if (options_.deadline > Duration(0)) {
    return absl::UnavailableError(absl::StrCat("no answer from a leader within ",
                                               to_ms(options_.deadline), " ms (", attempt_,
                                               " attempts); last: ", last_error_));
  }
  return absl::UnavailableError(
      absl::StrCat("no answer from a leader after ", attempt_, " attempts; last: ", last_error_));
}

}  // namespace cairn::kv
