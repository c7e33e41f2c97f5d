// cairnd's node configuration: what a node.yaml file says, and the cluster `cairnd dev`
// builds on loopback.
//
// Every mistake in a file is reported as `file:line: message` (InvalidArgument), unknown
// keys included; durations and sizes carry units (core/base/units.h). Example:
//
//   node: 1
//   listen: 127.0.0.1:7001        # frames (TCP)
//   http: 127.0.0.1:7101          # /metrics, /healthz, /membership
//   data_dir: /var/lib/cairn/n1
//   client: 127.0.0.1:7201        # the client protocol (frames), when a role serves clients
//   roles: [membership, meta]
//   log_level: info               # debug | info | warn | error
//   zone: rack-a                  # failure domain (optional; default: one zone for all)
//   peers:
//     - {node: 2, address: 127.0.0.1:7002, zone: rack-b}
//   membership: {heartbeat: 1s, suspect_timeout: 2s, phi_threshold: 8, monitors: 3}
//   raft: {tick: 10ms, election_timeout: [150ms, 300ms], heartbeat: 50ms}
//   transport: {shm: auto, shm_threshold: 64KiB, shm_ring: 8MiB, send_queue: 64MiB}
//   disk_threads: 8               # disk operations in flight at once
//   max_clients: 10000            # client connections at once; more are refused
//   grpc: {listen: 127.0.0.1:7301, cluster: [127.0.0.1:7201]}   # the gRPC gateway (off
//                                 # without it); cluster: client ports it uses (default:
//                                 # this node's own); also data_listen: H:P (the transfer
//                                 # data plane; default listen's host, any port),
//                                 # shared_memory: true, token_ttl: 60s
//
// Role sections (membership, raft, ...) are read by the reader cairn-sim uses for
// scenarios (runtime-real/settings/), with the same keys and units (docs/settings.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/kv/roles.h"
#include "core/membership/options.h"
#include "core/runtime/log.h"
#include "core/runtime/message.h"
#include "core/runtime/role.h"

namespace cairn::real {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

struct PeerConfig {
  NodeId node = kNoNode;
  HostPort address;
  std::string zone;  // its failure domain; "" (the default) is one zone shared by all
};

struct TransportConfig {
  bool shm = true;                          // "auto": shared memory to same-host peers
  uint64_t shm_threshold_bytes = 64 << 10;  // messages at least this large go over shm
  uint64_t shm_ring_bytes = 8 << 20;        // per ring
  uint64_t send_queue_bytes = 64 << 20;     // queued per peer before refusing
};

// Node ids at or above this name client connections on a node's client port
// (runtime-real/client_port.h), so configured node ids stay below it.
inline constexpr NodeId kFirstClientId = 0xF0000000u;

// How long a restarted cairnd waits for the first heartbeat of a peer it watches before it
// may suspect it: the TCP transport's longest back-off (2 s plus 25 % jitter,
// tcp_transport.h), as a peer's link to a restarted node may stay down that long.
inline constexpr Duration kFirstContactGrace = std::chrono::milliseconds(2500);

struct NodeConfig {
  // Role options start from the defaults, except membership's first_contact, which is
  // kFirstContactGrace on real nodes (docs/settings.md).
  NodeConfig() { membership().first_contact_grace = kFirstContactGrace; }

  NodeId node = kNoNode;
  HostPort listen{"127.0.0.1", 7001};
  HostPort http{"127.0.0.1", 7101};
  HostPort client{"127.0.0.1", 7201};  // opened only by roles that serve clients (meta, storage)
  std::string data_dir;
  std::string zone;  // this node's failure domain (placement spreads shards over zones)
  std::vector<std::string> roles{"membership"};
  LogLevel log_level = LogLevel::kInfo;
  std::vector<PeerConfig> peers;
  TransportConfig transport;
  // Disk operations in flight at once, each on its own I/O thread (file_disk.h).
  int disk_threads = 8;
  size_t max_clients = 10000;  // each one a file descriptor: cairnd raises its soft limit
  // The gRPC gateway (runtime-real/grpc/), off unless set; it reaches the cluster through
  // the client ports `grpc_cluster` (empty: this node's own `client`).
  std::optional<HostPort> grpc;
  std::vector<HostPort> grpc_cluster;
  // Its transfer data plane (runtime-real/grpc/data_plane.h): where it listens (port 0:
  // any; host empty: the gateway's), shared memory for clients on this host, token life.
  HostPort grpc_data_listen;
  bool grpc_shared_memory = true;
  int64_t grpc_token_ttl_ms = 60000;
  // Options of the roles, by role name (defaults when a section is absent).
  RoleSettings role_options;

  bool has_role(const std::string& role) const;
  const membership::MembershipOptions& membership() const {
    return role_options.get_or_default<membership::MembershipOptions>("membership");
  }
  membership::MembershipOptions& membership() {
    return role_options.get<membership::MembershipOptions>("membership");
  }
  const kv::MetaOptions& meta() const {
    return role_options.get_or_default<kv::MetaOptions>("meta");
  }
  kv::MetaOptions& meta() { return role_options.get<kv::MetaOptions>("meta"); }
};

// Parses and validates `path`. Errors: "path:line: message".
absl::StatusOr<NodeConfig> load_node_config(const std::string& path);
absl::StatusOr<NodeConfig> parse_node_config(const std::string& text, const std::string& path);

// "host:port" -> HostPort, InvalidArgument if malformed.
absl::StatusOr<HostPort> parse_host_port(const std::string& text);

// `cairnd dev`: nodes 1..n on 127.0.0.1, node i takes frames on base_port + i, serves
// HTTP on base_port + 100 + i and clients on base_port + 200 + i, data in data_dir/n<i>,
// every other node a peer, roles membership, meta (unless `meta` is false) and storage
// (with codes that fit when there are fewer than 5 nodes: docs/cairnd.md).
std::vector<NodeConfig> dev_cluster(int nodes, uint16_t base_port, const std::string& data_dir,
                                    bool meta = true);

}  // namespace cairn::real
