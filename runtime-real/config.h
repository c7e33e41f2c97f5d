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
//   roles: [membership]
//   log_level: info               # debug | info | warn | error
//   peers:
//     - {node: 2, address: 127.0.0.1:7002}
//   membership: {heartbeat: 1s, suspect_timeout: 2s, phi_threshold: 8, monitors: 3}
//   transport: {shm: auto, shm_threshold: 64KiB, shm_ring: 8MiB, send_queue: 64MiB}
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

struct NodeConfig {
  NodeId node = kNoNode;
  HostPort listen{"127.0.0.1", 7001};
  HostPort http{"127.0.0.1", 7101};
  std::string data_dir;
  std::vector<std::string> roles{"membership"};
  LogLevel log_level = LogLevel::kInfo;
  std::vector<PeerConfig> peers;
  membership::MembershipOptions membership;
  TransportConfig transport;
};

// Parses and validates `path`. Errors: "path:line: message".
absl::StatusOr<NodeConfig> load_node_config(const std::string& path);
absl::StatusOr<NodeConfig> parse_node_config(const std::string& text, const std::string& path);

// "host:port" -> HostPort, InvalidArgument if malformed.
absl::StatusOr<HostPort> parse_host_port(const std::string& text);

// `cairnd dev`: nodes 1..n on 127.0.0.1, node i takes frames on base_port + i and serves
// HTTP on base_port + 100 + i, data in data_dir/n<i>, every other node a peer.
std::vector<NodeConfig> dev_cluster(int nodes, uint16_t base_port, const std::string& data_dir);

}  // namespace cairn::real
