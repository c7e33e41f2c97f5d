// KvBlockingClient: a blocking client of the meta role's key-value store, for the `cairn`
// CLI, real-cluster tests and benchmarks (not for core code: it blocks its caller).
//
// It runs the core client, kv::KvSession (core/kv/kv_session.h), on an AsioRuntime of its
// own thread, so redirects, back-off and retries behave as in the simulator. The session's
// "servers" are the addresses in `peers` (endpoint i + 1 is peers[i]); each is reached
// over frames to a node's client port (runtime-real/client_port.h). A node greets with a
// Hello naming itself, so a redirect "the leader is n2" leads to n2's address once that
// address has greeted; connections to every peer are opened at start for that reason.
//
// Promises: one operation at a time per client (calls are serialized); a write carries
// (client_id, sequence) reused by every retry, so it is applied at most once. An
// operation returns by `deadline`: Unavailable means "not known to have happened" (a
// write may still have been applied); KV_INVALID is InvalidArgument, and so is a command
// over the size limits (core/kv/kv_limits.h), returned at once without sending it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/kv/kv_client.pb.h"
#include "runtime-real/host/asio.h"
#include "runtime-real/host/config.h"
#include "runtime-real/tools/client_host.h"

namespace cairn::kv {
class KvSession;
}

namespace cairn::real {

struct KvBlockingClientOptions {
  std::vector<HostPort> peers;                      // client ports of the meta nodes (at least one)
  std::chrono::milliseconds deadline{5000};         // per operation, retries included
  std::chrono::milliseconds attempt_timeout{1000};  // first wait for an answer; doubles to 8x
  std::chrono::milliseconds backoff_min{10};        // doubling up to backoff_max
  std::chrono::milliseconds backoff_max{200};
  uint32_t max_attempts = 255;  // per operation, in [1, 255]
  uint64_t client_id = 0;       // the session; 0: drawn at random
};

class KvBlockingClient {
 public:
  // REQUIRES: options.peers is not empty; options.deadline > 0.
  explicit KvBlockingClient(KvBlockingClientOptions options);
  ~KvBlockingClient();
  KvBlockingClient(const KvBlockingClient&) = delete;
  KvBlockingClient& operator=(const KvBlockingClient&) = delete;

  absl::StatusOr<kv::wire::KvResult> put(const std::string& key, const std::string& value);
  absl::StatusOr<kv::wire::KvResult> get(const std::string& key);
  absl::StatusOr<kv::wire::KvResult> cas(const std::string& key, const std::string& expected,
                                         const std::string& value);
  absl::StatusOr<kv::wire::KvResult> del(const std::string& key);
  // Any command; the session sets its client_id and sequence.
  absl::StatusOr<kv::wire::KvResult> run(kv::wire::KvCommand command);

  uint64_t client_id() const { return client_id_; }
  // Attempts made by the last operation (1 if the first one was answered).
  uint32_t last_attempts() const;

 private:
  const KvBlockingClientOptions options_;
  const uint64_t client_id_;
  mutable absl::Mutex call_mu_;  // one operation at a time
  uint32_t last_attempts_ ABSL_GUARDED_BY(call_mu_) = 0;
  std::unique_ptr<ClientHost> host_;
  std::unique_ptr<kv::KvSession> session_;  // loop thread only
};

// "h1:p1,h2:p2" -> addresses; InvalidArgument if any is malformed or the list is empty.
absl::StatusOr<std::vector<HostPort>> parse_peer_list(const std::string& text);

}  // namespace cairn::real
