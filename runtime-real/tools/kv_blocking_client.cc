#include "runtime-real/tools/kv_blocking_client.h"

#include <future>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base/assert.h"
#include "core/kv/kv_limits.h"
#include "core/kv/kv_session.h"
#include "core/wire/message_types.h"
#include "runtime-real/host/asio_runtime.h"

namespace cairn::real {

using kv::wire::KvCommand;
using kv::wire::KvResult;

namespace {

kv::KvSessionOptions session_options(const KvBlockingClientOptions& o) {
  kv::KvSessionOptions s;
  s.attempt_timeout = std::min(o.attempt_timeout, o.deadline);
  s.attempt_timeout_max = 8 * s.attempt_timeout;  // waits double after each silent attempt
  s.backoff = o.backoff_min;
  s.backoff_max = o.backoff_max;
  s.deadline = o.deadline;
  s.max_attempts = std::clamp<uint32_t>(o.max_attempts, 1, kv::KvSession::kMaxAttempts);
  s.server_name = [peers = o.peers](NodeId endpoint) {
    if (endpoint < 1 || endpoint > peers.size()) return absl::StrCat("endpoint ", endpoint);
    const HostPort& at = peers[endpoint - 1];  // endpoint i + 1 is peers[i]
    return absl::StrCat(at.host, ":", at.port);
  };
  return s;
}

}  // namespace

absl::StatusOr<std::vector<HostPort>> parse_peer_list(const std::string& text) {
  std::vector<HostPort> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    auto hp = parse_host_port(std::string(part));
    if (!hp.ok()) return hp.status();
    out.push_back(*hp);
  }
  if (out.empty()) return absl::InvalidArgumentError("no HOST:PORT given");
  return out;
}

KvBlockingClient::KvBlockingClient(KvBlockingClientOptions options)
    : options_(std::move(options)),
      client_id_(options_.client_id != 0 ? options_.client_id : draw_client_id()) {
  CAIRN_ASSERT(!options_.peers.empty());
  CAIRN_ASSERT(options_.deadline.count() > 0);
  host_ = std::make_unique<ClientHost>(options_.peers, client_id_, uint64_t{1} << 20);
  session_ = std::make_unique<kv::KvSession>(host_->runtime(), host_->endpoints(), client_id_,
                                             session_options(options_));
  // Every node greets on connect, so redirects can be followed from the first operation.
  host_->start(
      [this](NodeId from, const Message& m) {
        kv::wire::KvResponse r;
        if (m.type == cairn::wire::kKvResponse && r.ParseFromString(m.header)) {
          session_->on_response(from, r);
        }
      },
      [this](NodeId endpoint) { session_->on_unreachable(endpoint); });
}

KvBlockingClient::~KvBlockingClient() {
  host_->stop([this] { session_.reset(); });
}

uint32_t KvBlockingClient::last_attempts() const {
  absl::MutexLock lock(&call_mu_);
  return last_attempts_;
}

absl::StatusOr<KvResult> KvBlockingClient::put(const std::string& key, const std::string& value) {
  KvCommand c;
  c.set_op(kv::wire::KV_PUT);
  c.set_key(key);
  c.set_value(value);
  return run(std::move(c));
}

absl::StatusOr<KvResult> KvBlockingClient::get(const std::string& key) {
  KvCommand c;
  c.set_op(kv::wire::KV_GET);
  c.set_key(key);
  return run(std::move(c));
}

absl::StatusOr<KvResult> KvBlockingClient::cas(const std::string& key, const std::string& expected,
                                               const std::string& value) {
  KvCommand c;
  c.set_op(kv::wire::KV_CAS);
  c.set_key(key);
  c.set_expected(expected);
  c.set_value(value);
  return run(std::move(c));
}

absl::StatusOr<KvResult> KvBlockingClient::del(const std::string& key) {
  KvCommand c;
  c.set_op(kv::wire::KV_DELETE);
  c.set_key(key);
  return run(std::move(c));
}

absl::StatusOr<KvResult> KvBlockingClient::run(KvCommand command) {
  // A command over the limits would be refused by the transport at every retry: say so now.
  if (absl::Status st = kv::check_limits(command); !st.ok()) return st;
  absl::MutexLock lock(&call_mu_);
  std::promise<absl::StatusOr<KvResult>> answer;
  std::future<absl::StatusOr<KvResult>> future = answer.get_future();
  uint32_t attempts = 0;
  // The session's deadline timer guarantees that `done` runs, so the wait is bounded.
  host_->runtime().post([this, &answer, &attempts, c = std::move(command)]() mutable {
    session_->run(std::move(c), [this, &answer, &attempts](absl::StatusOr<KvResult> r) {
      attempts = session_->attempts();
      answer.set_value(std::move(r));
    });
  });
  absl::StatusOr<KvResult> result = future.get();
  last_attempts_ = attempts;
  return result;
}

}  // namespace cairn::real
