#include "core/raft/leader_session.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace cairn::raft {
namespace {

// request_id = sequence << 8 | attempt: an answer names the operation and the attempt.
constexpr uint64_t kAttemptBits = 8;
constexpr uint64_t kAttemptMask = (uint64_t{1} << kAttemptBits) - 1;

int64_t to_ms(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

ReplyKind reply_kind(const absl::Status& st) {
  if (st.ok()) return ReplyKind::kOk;
  if (absl::IsFailedPrecondition(st)) return ReplyKind::kNotLeader;
  if (absl::IsInvalidArgument(st)) return ReplyKind::kInvalid;
  return ReplyKind::kUnavailable;
}

LeaderSession::LeaderSession(Runtime& rt, std::vector<NodeId> servers, LeaderSessionOptions options)
    : rt_(rt), servers_(std::move(servers)), options_(std::move(options)) {
  CAIRN_ASSERT(!servers_.empty());
  CAIRN_ASSERT(options_.max_attempts >= 1);
  CAIRN_ASSERT(options_.max_attempts <= kMaxAttempts);
  CAIRN_ASSERT(options_.attempt_timeout > Duration(0));
  leader_guess_ = servers_.front();
}

LeaderSession::~LeaderSession() {
  rt_.cancel(timer_);
  if (deadline_timer_ != kNoTimer) rt_.cancel(deadline_timer_);
}

void LeaderSession::set_leader_guess(NodeId server) {
  CAIRN_ASSERT(server != kNoNode);
  leader_guess_ = server;
}

NodeId LeaderSession::next_server(NodeId after) const {
  auto it = std::find(servers_.begin(), servers_.end(), after);
  if (it == servers_.end() || ++it == servers_.end()) return servers_.front();
  return *it;
}

void LeaderSession::run(Send send, Done done) {
  CAIRN_ASSERT(!active_);
  CAIRN_ASSERT(send != nullptr && done != nullptr);
  active_ = true;
  ++seq_;
  attempt_ = 0;
  backoffs_ = 0;
  wait_ = options_.attempt_timeout;
  send_ = std::move(send);
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

bool LeaderSession::current(uint64_t request_id) const {
  return active_ && (request_id >> kAttemptBits) == seq_;
}

void LeaderSession::send_attempt() {
  if (!active_) return;
  if (attempt_ >= options_.max_attempts) return finish(give_up_status());
  ++attempt_;
  CAIRN_ASSERT(attempt_ <= kAttemptMask);
  send_(target_, seq_ << kAttemptBits | attempt_);
  rt_.cancel(timer_);
  timer_ = rt_.after(wait_, [this] {
    last_error_ = absl::StrCat(name(target_), ": no answer within ", to_ms(wait_), " ms");
    wait_ = std::min(wait_ * 2, std::max(options_.attempt_timeout, options_.attempt_timeout_max));
    target_ = next_server(target_);
    send_attempt();
  });
}

void LeaderSession::on_reply(uint64_t request_id, ReplyKind kind, NodeId hint,
                             const std::string& error) {
  if (!current(request_id)) return;  // an old operation
  if (kind == ReplyKind::kOk) {
    leader_guess_ = target_;
    return finish(absl::OkStatus());
  }
  // Refusals count only for the current attempt (an old attempt's is stale news).
  if ((request_id & kAttemptMask) != attempt_) return;
  if (kind == ReplyKind::kInvalid) return finish(absl::InvalidArgumentError(error));
  last_error_ = absl::StrCat(name(target_), ": ", error);
  if (kind == ReplyKind::kNotLeader && hint != kNoNode && hint != target_) {
    target_ = leader_guess_ = hint;
    return send_attempt();
  }
  if (kind == ReplyKind::kNotLeader) target_ = next_server(target_);
  back_off_then_retry();
}

void LeaderSession::on_unreachable(NodeId server) {
  if (!active_ || server != target_) return;
  last_error_ = absl::StrCat(name(server), ": unreachable");
  target_ = next_server(target_);
  back_off_then_retry();
}

void LeaderSession::back_off_then_retry() {
  const Duration cap = std::max(options_.backoff, options_.backoff_max);
  Duration delay = options_.backoff;
  for (uint32_t i = 0; i < backoffs_ && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  ++backoffs_;
  rt_.cancel(timer_);
  timer_ = rt_.after(delay, [this] { send_attempt(); });
}

void LeaderSession::finish(absl::Status status) {
  CAIRN_ASSERT(active_);
  rt_.cancel(timer_);
  if (deadline_timer_ != kNoTimer) rt_.cancel(deadline_timer_);
  deadline_timer_ = kNoTimer;
  active_ = false;
  Done done = std::move(done_);
  done_ = nullptr;
  send_ = nullptr;
  done(std::move(status));
}

std::string LeaderSession::name(NodeId server) const {
  return options_.server_name ? options_.server_name(server) : absl::StrCat("server ", server);
}

absl::Status LeaderSession::give_up_status() const {
  if (options_.deadline > Duration(0)) {
    return absl::UnavailableError(absl::StrCat("no answer from a leader within ",
                                               to_ms(options_.deadline), " ms (", attempt_,
                                               " attempts); last: ", last_error_));
  }
  return absl::UnavailableError(
      absl::StrCat("no answer from a leader after ", attempt_, " attempts; last: ", last_error_));
}

}  // namespace cairn::raft
