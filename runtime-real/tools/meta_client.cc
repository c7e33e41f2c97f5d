#include "runtime-real/tools/meta_client.h"

#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base/assert.h"
#include "core/wire/message_types.h"
#include "runtime-real/transport/client_conn.h"

namespace cairn::real {

using kv::wire::KvCommand;
using kv::wire::KvRequest;
using kv::wire::KvResponse;
using kv::wire::KvResult;

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

MetaClient::MetaClient(MetaClientOptions options) : options_(std::move(options)) {
  CAIRN_ASSERT(!options_.peers.empty());
  CAIRN_ASSERT(options_.max_attempts >= 1);
  std::random_device rd;
  const uint64_t drawn = (uint64_t{rd()} << 32) ^ rd();
  client_id_ = options_.client_id != 0 ? options_.client_id : (drawn | 1);
  jitter_state_ = client_id_;
  conns_.resize(options_.peers.size());
}

MetaClient::~MetaClient() = default;

absl::StatusOr<KvResult> MetaClient::put(const std::string& key, const std::string& value) {
  KvCommand c;
  c.set_op(kv::wire::KV_PUT);
  c.set_key(key);
  c.set_value(value);
  return run(std::move(c));
}

absl::StatusOr<KvResult> MetaClient::get(const std::string& key) {
  KvCommand c;
  c.set_op(kv::wire::KV_GET);
  c.set_key(key);
  return run(std::move(c));
}

absl::StatusOr<KvResult> MetaClient::cas(const std::string& key, const std::string& expected,
                                         const std::string& value) {
  KvCommand c;
  c.set_op(kv::wire::KV_CAS);
  c.set_key(key);
  c.set_expected(expected);
  c.set_value(value);
  return run(std::move(c));
}

absl::StatusOr<KvResult> MetaClient::del(const std::string& key) {
  KvCommand c;
  c.set_op(kv::wire::KV_DELETE);
  c.set_key(key);
  return run(std::move(c));
}

absl::StatusOr<ClientConn*> MetaClient::connection(size_t peer, Clock::time_point deadline) {
  if (conns_[peer] == nullptr) {
    auto conn = ClientConn::open(options_.peers[peer], deadline);
    if (!conn.ok()) return conn.status();
    peer_of_node_[(*conn)->node()] = peer;
    conns_[peer] = std::move(*conn);
  }
  return conns_[peer].get();
}

absl::StatusOr<KvResponse> MetaClient::attempt(size_t peer, const KvRequest& req,
                                               Clock::time_point deadline) {
  auto conn = connection(peer, deadline);
  if (!conn.ok()) return conn.status();
  absl::Status s =
      (*conn)->send(Message{.type = wire::kKvRequest, .header = req.SerializeAsString()});
  while (s.ok()) {
    auto m = (*conn)->receive(deadline);
    if (!m.ok()) {
      s = m.status();
      break;
    }
    KvResponse r;
    if (m->type != wire::kKvResponse || !r.ParseFromString(m->header)) continue;
    if (r.request_id() == req.request_id()) return r;  // else: a late answer to an old attempt
  }
  conns_[peer].reset();  // after any error the stream is not trusted again
  return s;
}

// Sleeps min(backoff_min * 2^step, backoff_max) with +-50% jitter, never past `deadline`.
void MetaClient::back_off(int* step, Clock::time_point deadline) {
  const auto base = std::min<int64_t>(options_.backoff_min.count() << std::min(*step, 16),
                                      options_.backoff_max.count());
  ++*step;
  jitter_state_ = jitter_state_ * 6364136223846793005ULL + 1442695040888963407ULL;
  const int64_t us = base * 500 + static_cast<int64_t>((jitter_state_ >> 33) % (base * 1000 + 1));
  const auto until = std::min(deadline, Clock::now() + std::chrono::microseconds(us));
  std::this_thread::sleep_until(until);
}

absl::StatusOr<KvResult> MetaClient::run(KvCommand command) {
  if (command.op() != kv::wire::KV_GET) {
    command.set_client_id(client_id_);
    command.set_sequence(++sequence_);
  }
  KvRequest req;
  *req.mutable_command() = std::move(command);
  const Clock::time_point deadline = Clock::now() + options_.deadline;
  std::string last_error = "no attempt made";
  int backoff_step = 0;
  size_t redirects = 0;  // in a row, without a back-off
  for (last_attempts_ = 1; last_attempts_ <= options_.max_attempts; ++last_attempts_) {
    if (Clock::now() >= deadline) break;
    req.set_request_id(++request_id_);
    const size_t peer = target_;
    auto r = attempt(peer, req, std::min(deadline, Clock::now() + options_.attempt_timeout));
    if (!r.ok()) {
      last_error = std::string(r.status().message());
      target_ = (target_ + 1) % options_.peers.size();
      if (target_ == 0) back_off(&backoff_step, deadline);  // every address failed once
      continue;
    }
    if (r->status() == kv::wire::KV_OK) return r->result();
    if (r->status() == kv::wire::KV_INVALID) return absl::InvalidArgumentError(r->error());
    const std::string who = absl::StrCat(options_.peers[peer].host, ":", options_.peers[peer].port);
    last_error = absl::StrCat(who, ": ", r->error());
    if (r->status() == kv::wire::KV_NOT_LEADER) {
      // Follow a redirect to a known address at once, but not round and round: hints
      // can be stale for a moment after an election, and two nodes may name each other.
      auto hinted = peer_of_node_.find(static_cast<NodeId>(r->leader_hint()));
      const bool known = r->leader_hint() != 0 && hinted != peer_of_node_.end();
      target_ =
          known && hinted->second != peer ? hinted->second : (target_ + 1) % options_.peers.size();
      if (r->leader_hint() != 0 && ++redirects < options_.peers.size()) continue;
    }
    redirects = 0;
    back_off(&backoff_step, deadline);  // no leader yet, or busy: give it time
  }
  return absl::UnavailableError(absl::StrCat(
      "no answer from a leader within ", options_.deadline.count(), " ms (",
      std::min(last_attempts_, options_.max_attempts), " attempts); last: ", last_error));
}

}  // namespace cairn::real
