#include "core/kv/kv_client.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/wire/message_types.h"

namespace cairn::kv {
namespace {

KvSessionOptions session_options(const KvWorkload& w) {
  return KvSessionOptions{.attempt_timeout = w.timeout,
                          .backoff = w.backoff,
                          .backoff_max = Duration(0),
                          .deadline = Duration(0),
                          .max_attempts = w.max_attempts};
}

}  // namespace

void KvClientOptions::visit(SettingsVisitor& v) {
  v.count("clients", clients, 0, 1000);
  v.rate("rate", workload.rate_per_s);
  v.count("keys", workload.keys, 1, 1'000'000);
  v.group("mix", [this](SettingsVisitor& m) {
    // A mix that is written replaces the default one: shares it does not name are 0.
    if (m.fills()) workload.put = workload.get = workload.cas = workload.del = 0;
    m.number("put", workload.put, 0, 1);
    m.number("get", workload.get, 0, 1);
    m.number("cas", workload.cas, 0, 1);
    m.number("delete", workload.del, 0, 1);
  });
  v.duration("start", workload.start);
  v.duration("until", workload.until);
  v.duration("timeout", workload.timeout);
  v.count("retries", workload.max_attempts, 1, 255);
  v.flag("stale_reads", workload.stale_reads);
}

absl::Status KvClientOptions::validate() const {
  const KvWorkload& w = workload;
  if (std::fabs(w.put + w.get + w.cas + w.del - 1) > 1e-6) {
    return absl::InvalidArgumentError("mix must add up to 1 (e.g. {put: 0.5, get: 0.3, cas: 0.2})");
  }
  if (w.timeout <= Duration(0)) return absl::InvalidArgumentError("timeout must be positive");
  if (w.max_attempts < 1 || w.max_attempts > 255) {
    return absl::InvalidArgumentError("retries must be in [1, 255]");
  }
  return absl::OkStatus();
}

KvClient::KvClient(Runtime& rt, std::vector<cairn::NodeId> servers, KvWorkload workload,
                   std::vector<AdminAction> admin, KvHistorySink* sink)
    : rt_(rt),
      servers_(std::move(servers)),
      workload_(workload),
      admin_(std::move(admin)),
      sink_(sink),
      session_(rt, servers_, rt.self(), session_options(workload_)) {
  CAIRN_ASSERT(!servers_.empty());
  CAIRN_ASSERT(sink_ != nullptr);
  std::stable_sort(admin_.begin(), admin_.end(),
                   [](const AdminAction& a, const AdminAction& b) { return a.at < b.at; });
}

KvClient::~KvClient() {
  rt_.cancel(op_timer_);
  rt_.cancel(admin_timer_);
}

std::vector<MessageType> KvClient::types() {
  return {cairn::wire::kKvResponse, cairn::wire::kAdminResponse};
}

std::vector<MessageType> KvClient::message_types() const { return types(); }

void KvClient::start() {
  session_.set_leader_guess(servers_[rt_.rng().below(servers_.size())]);
  if (workload_.rate_per_s > 0) {
    // A random phase so that clients do not move in lockstep.
    const Duration phase = from_seconds(rt_.rng().uniform01() / workload_.rate_per_s);
    op_timer_ =
        rt_.after(workload_.start - rt_.now().time_since_epoch() + phase, [this] { issue(); });
  }
  start_admin();
}

cairn::NodeId KvClient::next_server(cairn::NodeId after) const {
  return session_.next_server(after);
}

void KvClient::retry_later(TimerId& timer, std::function<void()> fn) {
  rt_.cancel(timer);
  timer = rt_.after(workload_.backoff, std::move(fn));
}

void KvClient::issue() {
  if (workload_.until > Duration(0) && rt_.now().time_since_epoch() >= workload_.until) return;
  const double roll = rt_.rng().uniform01();
  const wire::KvOp op = roll < workload_.put                                   ? wire::KV_PUT
                        : roll < workload_.put + workload_.get                 ? wire::KV_GET
                        : roll < workload_.put + workload_.get + workload_.cas ? wire::KV_CAS
                                                                               : wire::KV_DELETE;
  op_ = Op{};
  // The session numbers operations the same way: this one gets sequence `seq`.
  const uint64_t seq = completed_ + abandoned_ + 1;
  wire::KvCommand& c = op_.command;
  c.set_client_id(rt_.self());
  c.set_sequence(seq);
  c.set_op(op);
  c.set_key(absl::StrCat("k", rt_.rng().below(std::max<uint32_t>(workload_.keys, 1))));
  if (op == wire::KV_PUT || op == wire::KV_CAS) {
    c.set_value(absl::StrCat("c", rt_.self(), ".", seq));
  }
  if (op == wire::KV_CAS) {
    auto it = seen_.find(c.key());
    c.set_expected(it == seen_.end() ? "none" : it->second);
  }
  op_.handle = sink_->invoke(c);
  const bool local = workload_.stale_reads && op == wire::KV_GET;
  if (local) {
    // The client's own replica answers; writes go on to the leader they knew.
    writes_guess_ = session_.leader_guess();
    session_.set_leader_guess(servers_[rt_.self() % servers_.size()]);
  }
  session_.run(
      c, [this](absl::StatusOr<wire::KvResult> r) { finish_op(r); }, local);
}

void KvClient::on_message(cairn::NodeId from, const Message& m) {
  if (m.type == cairn::wire::kKvResponse) {
    wire::KvResponse r;
    if (r.ParseFromString(m.header)) session_.on_response(from, r);
  } else if (m.type == cairn::wire::kAdminResponse) {
    raft::wire::AdminResponse r;
    if (r.ParseFromString(m.header)) on_admin_response(r);
  }
}

void KvClient::finish_op(const absl::StatusOr<wire::KvResult>& r) {
  if (writes_guess_ != kNoNode) {
    session_.set_leader_guess(writes_guess_);
    writes_guess_ = kNoNode;
  }
  if (!r.ok()) {  // given up, or refused as invalid: unanswered in the history
    ++abandoned_;
    return schedule_next_op();
  }
  const wire::KvResult& result = *r;
  ++completed_;
  const wire::KvCommand& c = op_.command;
  // Remember a value of the key for later compare-and-sets: ours if it went in, else the
  // one the server reported.
  const bool wrote = c.op() == wire::KV_PUT || (c.op() == wire::KV_CAS && result.ok());
  if (wrote) {
    seen_[c.key()] = c.value();
  } else if (result.found() && !result.value().empty()) {
    seen_[c.key()] = result.value();
  }
  sink_->complete(op_.handle, result.ok(), c.op() == wire::KV_GET ? result.value() : "");
  schedule_next_op();
}

void KvClient::schedule_next_op() {
  // Think time uniform in [0.5, 1.5] / rate keeps the mean rate without lockstep.
  const double think = (0.5 + rt_.rng().uniform01()) / workload_.rate_per_s;
  rt_.cancel(op_timer_);
  op_timer_ = rt_.after(from_seconds(think), [this] { issue(); });
}

}  // namespace cairn::kv
