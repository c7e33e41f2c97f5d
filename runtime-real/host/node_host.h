// One running node of cairnd: its AsioRuntime, transports, HTTP endpoints and services.
//
// start() builds everything from a NodeConfig, binds the ports (failing with a status,
// not an exception, if one is taken) and starts the node's loop; stop() closes the
// sockets, stops the loop and waits for in-flight disk and compute work. Services are the
// same core sources cairn-sim runs; this file only wires them to the real world.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/roles/builtin.h"
#include "core/runtime/role.h"
#include "core/runtime/service.h"
#include "runtime-real/host/asio_runtime.h"
#include "runtime-real/host/config.h"
#include "runtime-real/host/http_server.h"
#include "runtime-real/transport/tcp_transport.h"

namespace cairn::real {

class ShmTransport;
class ClientPort;

class NodeHost {
 public:
  static absl::StatusOr<std::unique_ptr<NodeHost>> start(const NodeConfig& config,
                                                         asio::thread_pool& workers,
                                                         std::shared_ptr<spdlog::logger> logger);
  ~NodeHost();

  void stop();
  uint16_t port() const { return port_; }
  uint16_t http_port() const { return http_port_; }
  uint16_t client_port() const { return client_port_; }  // 0: no role serves clients
  AsioRuntime& runtime() { return *rt_; }

  // What the HTTP endpoints serve (loop thread only).
  std::string metrics_text();
  std::string membership_text();

 private:
  NodeHost() = default;
  absl::Status build(const NodeConfig& config, asio::thread_pool& workers,
                     std::shared_ptr<spdlog::logger> logger);
  absl::Status add_services(const NodeConfig& config);
  absl::Status open_client_port(const NodeConfig& config);
  void route(NodeId to, Message message);

  NodeConfig config_;
  RoleRegistry roles_ = builtin_roles();
  Hooks hooks_;  // none in production
  std::unique_ptr<AsioRuntime> rt_;
  std::unique_ptr<TcpTransport> tcp_;
  std::unique_ptr<ShmTransport> shm_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<ClientPort> clients_;
  std::unique_ptr<Node> node_;
  uint16_t port_ = 0;
  uint16_t http_port_ = 0;
  uint16_t client_port_ = 0;
  bool stopped_ = false;
};

// Prometheus text exposition of a metrics snapshot: `cairn_<name>{node="n3"} value`.
std::string prometheus_text(NodeId node, const std::map<std::string, double>& snapshot);

// A stable identity for "this host" (boot id and host name) for same-host detection.
std::string this_host_id();

}  // namespace cairn::real
