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
//   peers:
//     - {node: 2, address: 127.0.0.1:7002}
//   membership: {heartbeat: 1s, suspect_timeout: 2s, phi_threshold: 8, monitors: 3}
//   transport: {shm: auto, shm_threshold: 64KiB, shm_ring: 8MiB, send_queue: 64MiB}
//   meta: {tick: 10ms, election_ticks: 10, heartbeat_ticks: 1, snapshot_every: 10000}
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/membership/options.h"
#include "core/runtime/log.h"
#include "core/runtime/message.h"

namespace cairn::real {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

struct PeerConfig {
  NodeId node = kNoNode;
  HostPort address;
};

struct TransportConfig {
  bool shm = true;                    // "auto": shared memory to same-host peers
  uint64_t shm_threshold = 64 << 10;  // messages at least this large go over shm
  uint64_t shm_ring = 8 << 20;        // bytes per ring
  uint64_t send_queue = 64 << 20;     // bytes queued per peer before refusing
};

// Node ids at or above this name client connections on a node's client port
// (runtime-real/client_port.h), so configured node ids stay below it.
inline constexpr NodeId kFirstClientId = 0xF0000000u;

// The `meta` role: a Raft group replicating the key-value store (core/raft/raft_service.h).
struct MetaConfig {
  std::vector<NodeId> voters;  // empty: this node and every peer
  Duration tick = std::chrono::milliseconds(10);
  int election_ticks = 10;  // election timeout drawn from [election, 2 * election) ticks
  int heartbeat_ticks = 1;
  uint64_t snapshot_every = 10000;  // applied entries between local snapshots; 0: never
  uint64_t max_pending_requests = 4096;
  uint64_t max_sessions = 1024;
  bool pre_vote = true;
  bool check_quorum = true;
  bool lease_reads = false;
};

struct NodeConfig {
  NodeId node = kNoNode;
  HostPort listen{"127.0.0.1", 7001};
  HostPort http{"127.0.0.1", 7101};
  HostPort client{"127.0.0.1", 7201};  // opened only by roles that serve clients (meta)
  std::string data_dir;
  std::vector<std::string> roles{"membership"};
  LogLevel log_level = LogLevel::kInfo;
  std::vector<PeerConfig> peers;
  // first_contact_grace defaults to the TCP transport's longest back-off (backoff_max 2 s
  // plus 25 % jitter, tcp_transport.h): a peer's link to a restarted node may stay down
  // that long.
  membership::MembershipOptions membership{.first_contact_grace = std::chrono::milliseconds(2500)};
  TransportConfig transport;
  MetaConfig meta;

  bool has_role(const std::string& role) const;
};

// Parses and validates `path`. Errors: "path:line: message".
absl::StatusOr<NodeConfig> load_node_config(const std::string& path);
absl::StatusOr<NodeConfig> parse_node_config(const std::string& text, const std::string& path);

// "host:port" -> HostPort, InvalidArgument if malformed.
absl::StatusOr<HostPort> parse_host_port(const std::string& text);

// `cairnd dev`: nodes 1..n on 127.0.0.1, node i takes frames on base_port + i, serves
// HTTP on base_port + 100 + i and clients on base_port + 200 + i, data in data_dir/n<i>,
// every other node a peer, roles membership and meta (unless `meta` is false).
std::vector<NodeConfig> dev_cluster(int nodes, uint16_t base_port, const std::string& data_dir,
                                    bool meta = true);

}  // namespace cairn::real
