// DataPlane: the binary side of the hybrid transfer service (docs/grpc.md). It mints the
// one-time tokens that cairn.v1.Transfer hands out, listens for framed TCP connections
// (data_plane_wire.h), and moves each blob a token covers: an upload is spooled and hashed
// as it arrives, checked against its digest and only then stored where ByteStream stores
// blobs (resource_name.h); a download streams the stored blob. Bytes go in Cairn frames
// over the connection, or through a shared-memory ring (runtime-real/shm/shm_ring.h) the
// server creates when a client on this host asks for one; the outcome always comes back
// as a frame over TCP.
//
// Promises: nothing moves without a token redeemed for that blob, direction and caller
// (transfer_tokens.h); a refused token, a digest mismatch (InvalidArgument, nothing
// stored) or a missing blob is answered with its status and the connection stays usable;
// progress is recorded per transfer and per node (transfer_ledger.h).
// Threading: an accept thread and one thread per connection (at most max_connections),
// each blocking on its socket or ring and on the BlobStore; never on a node's loop.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "runtime-real/grpc/services.h"
#include "runtime-real/grpc/transfer_ledger.h"
#include "runtime-real/grpc/transfer_tokens.h"
#include "runtime-real/host/config.h"

namespace cairn::real::reapi {

struct DataPlaneOptions {
  HostPort listen;            // port 0: any free port
  bool shared_memory = true;  // offer rings to clients on this host
  int64_t token_ttl_ms = 60000;
  size_t max_connections = 64;
};

struct TransferStatsSnapshot {
  std::vector<TransferProgress> transfers;
  NodeTransferTotals totals;
  double active_rate = 0;
  int64_t now_ms = 0;
};

class DataPlane {
 public:
  // REQUIRES: g.store and g.spool outlive the data plane.
  static absl::StatusOr<std::unique_ptr<DataPlane>> start(Gateway& g, DataPlaneOptions options);
  ~DataPlane();
  // Refuses new connections, ends those open (their transfers fail) and joins the threads.
  void stop();

  std::string address() const;  // host:port clients connect to
  bool shared_memory() const { return options_.shared_memory; }
  int64_t token_ttl_ms() const { return options_.token_ttl_ms; }

  // A token for `grant`, living min(ttl_ms, the server's) ms (ttl_ms <= 0: the server's);
  // *life_ms says how long.
  absl::StatusOr<std::string> mint(TokenGrant grant, int64_t ttl_ms, int64_t* life_ms);
  TransferStatsSnapshot stats(const std::string& transfer_id);

 private:
  struct Conn {
    int fd = -1;
    std::thread thread;
    std::atomic<bool> done{false};
  };
  DataPlane(Gateway& g, DataPlaneOptions options, int listen_fd, uint16_t port);
  void accept_loop();
  void serve(Conn& conn);
  int64_t now_ms() const;

  class Session;
  Gateway& g_;
  const DataPlaneOptions options_;
  const int listen_fd_;
  const uint16_t port_;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  absl::Mutex conns_mu_;
  std::list<Conn> conns_ ABSL_GUARDED_BY(conns_mu_);
  absl::Mutex mu_;
  TokenBook tokens_ ABSL_GUARDED_BY(mu_);
  TransferLedger ledger_ ABSL_GUARDED_BY(mu_);
  uint64_t next_transfer_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace cairn::real::reapi
