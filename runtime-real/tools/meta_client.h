// MetaClient: a blocking client of the meta role's key-value store, for the `cairn` CLI,
// real-cluster tests and benchmarks (not for core code: it blocks and reads the clock).
//
// It speaks the client protocol of core/kv/kv_client.proto over frames to the nodes'
// client ports (runtime-real/client_port.h): each node greets with a Hello naming itself,
// so a redirect "the leader is n2" leads to n2's address if n2 is among `peers`;
// otherwise the client tries the next address in turn.
//
// Promises: one operation at a time; a write carries (client_id, sequence) and every
// retry of it reuses them, so it is applied at most once however often it is resent. An
// operation is retried (redirects at once, "no leader" / "unavailable" / lost connections
// after a capped exponential back-off with jitter) until `deadline` has passed or
// `max_attempts` attempts were made; then it returns Unavailable, meaning "not known to
// have happened" (a write may still have been applied). KV_INVALID is InvalidArgument.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/kv/kv_client.pb.h"
#include "runtime-real/host/config.h"

namespace cairn::real {

struct MetaClientOptions {
  std::vector<HostPort> peers;                      // client ports of the meta nodes (at least one)
  std::chrono::milliseconds deadline{5000};         // per operation, retries included
  std::chrono::milliseconds attempt_timeout{1000};  // waiting for one answer
  std::chrono::milliseconds backoff_min{10};
  std::chrono::milliseconds backoff_max{200};
  int max_attempts = 1000;
  uint64_t client_id = 0;  // the session; 0: drawn at random
};

class ClientConn;

class MetaClient {
 public:
  // REQUIRES: options.peers is not empty.
  explicit MetaClient(MetaClientOptions options);
  ~MetaClient();

  absl::StatusOr<kv::wire::KvResult> put(const std::string& key, const std::string& value);
  absl::StatusOr<kv::wire::KvResult> get(const std::string& key);
  absl::StatusOr<kv::wire::KvResult> cas(const std::string& key, const std::string& expected,
                                         const std::string& value);
  absl::StatusOr<kv::wire::KvResult> del(const std::string& key);
  // Any command: writes get this client's session and the next sequence number.
  absl::StatusOr<kv::wire::KvResult> run(kv::wire::KvCommand command);

  uint64_t client_id() const { return client_id_; }
  // Attempts made by the last operation (1 if the first one was answered).
  int last_attempts() const { return last_attempts_; }

 private:
  using Clock = std::chrono::steady_clock;
  absl::StatusOr<kv::wire::KvResponse> attempt(size_t peer, const kv::wire::KvRequest& req,
                                               Clock::time_point deadline);
  absl::StatusOr<ClientConn*> connection(size_t peer, Clock::time_point deadline);
  void back_off(int* step, Clock::time_point deadline);

  MetaClientOptions options_;
  uint64_t client_id_;
  uint64_t sequence_ = 0;
  uint64_t request_id_ = 0;
  size_t target_ = 0;
  int last_attempts_ = 0;
  std::vector<std::unique_ptr<ClientConn>> conns_;  // by peer index; null: not connected
  std::map<NodeId, size_t> peer_of_node_;           // learnt from the nodes' Hellos
  uint64_t jitter_state_;
};

// "h1:p1,h2:p2" -> addresses; InvalidArgument if any is malformed or the list is empty.
absl::StatusOr<std::vector<HostPort>> parse_peer_list(const std::string& text);

}  // namespace cairn::real
