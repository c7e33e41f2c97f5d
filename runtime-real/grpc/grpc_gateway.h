// GrpcGateway: a node's gRPC server. It serves the remote-cache part of the Remote
// Execution API v2 (Capabilities, ContentAddressableStorage, ActionCache) and
// google.bytestream.ByteStream, and Cairn's own file namespace (cairn.v1.Namespace) and
// hybrid transfers (cairn.v1.Transfer, with its binary data plane: data_plane.h), with
// Cairn's store behind them (services.h, blob_store.h).
//
// Threading: gRPC's own threads run the handlers; each one passes its request to the
// cluster through the core file client on an event loop of the gateway's own and waits for
// the answer, so the node's loop never blocks on gRPC. start() binds the port (a status,
// not an exception, if it is taken); stop() refuses new calls and waits for those running.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime-real/host/config.h"

namespace cairn::real {

struct GrpcGatewayOptions {
  HostPort listen;                // port 0: any free port (see port())
  std::vector<HostPort> cluster;  // client ports of the cluster's nodes
  std::string spool_dir;          // uploads in progress (emptied at start)
  size_t clients = 4;             // cluster calls in flight at once
  size_t max_uploads = 256;       // resumable uploads kept at once
  size_t max_threads = 64;        // gRPC threads (calls served at once, waiting included)
  // The data plane of cairn.v1.Transfer (data_plane.h): framed TCP on this host and port
  // (port 0: any free one; host empty: listen's), shared memory for clients on this host.
  HostPort data_listen;
  bool shared_memory = true;
  int64_t token_ttl_ms = 60000;  // the longest a transfer token lives
};

class GrpcGateway {
 public:
  // REQUIRES: options.cluster non-empty.
  static absl::StatusOr<std::unique_ptr<GrpcGateway>> start(GrpcGatewayOptions options);
  ~GrpcGateway();

  void stop();
  uint16_t port() const;
  // host:port of the data plane.
  std::string data_plane_address() const;

 private:
  struct State;
  explicit GrpcGateway(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace cairn::real
