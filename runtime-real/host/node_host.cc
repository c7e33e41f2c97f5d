#include "runtime-real/host/node_host.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "core/membership/membership.h"
#include "core/roles/builtin.h"
#include "core/wire/message_types.h"
#include "runtime-real/host/meta_role.h"
#include "runtime-real/shm/shm_transport.h"
#include "runtime-real/transport/client_port.h"

namespace cairn::real {
namespace {

absl::StatusOr<tcp::endpoint> endpoint_of(const HostPort& hp) {
  boost::system::error_code ec;
  asio::io_context io;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(hp.host, std::to_string(hp.port), ec);
  if (ec || results.empty()) return to_status(ec, absl::StrCat("resolve ", hp.host));
  return results.begin()->endpoint();
}

std::string metric_name(const std::string& raw) {
  std::string out = "cairn_";
  for (char c : raw) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  return out;
}

}  // namespace

std::string this_host_id() {
  std::ifstream boot("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(boot, id);
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return absl::StrCat(id, "/", host);
}

std::string prometheus_text(NodeId node, const std::map<std::string, double>& snapshot) {
  std::string out;
  for (const auto& [name, value] : snapshot) {
    absl::StrAppend(&out, metric_name(name), "{node=\"n", node, "\"} ", value, "\n");
  }
  return out;
}

absl::StatusOr<std::unique_ptr<NodeHost>> NodeHost::start(const NodeConfig& config,
                                                          asio::thread_pool& workers,
                                                          std::shared_ptr<spdlog::logger> logger) {
  std::unique_ptr<NodeHost> host(new NodeHost());
  if (absl::Status s = host->build(config, workers, std::move(logger)); !s.ok()) {
    host->stop();
    return s;
  }
  return host;
}

absl::Status NodeHost::build(const NodeConfig& config, asio::thread_pool& workers,
                             std::shared_ptr<spdlog::logger> logger) {
  config_ = config;
  std::error_code fs_ec;
  std::filesystem::create_directories(config.data_dir, fs_ec);
  if (fs_ec) return absl::InternalError(absl::StrCat(config.data_dir, ": ", fs_ec.message()));
  rt_ = std::make_unique<AsioRuntime>(config.node, config.data_dir, workers, std::move(logger),
                                      std::random_device{}() ^ (uint64_t{config.node} << 32),
                                      config.disk_threads);
  std::vector<PeerAddress> peers;
  for (const auto& p : config.peers) {
    auto ep = endpoint_of(p.address);
    if (!ep.ok()) return ep.status();
    peers.push_back(PeerAddress{p.node, *ep});
  }
  TcpOptions tcp_options;
  tcp_options.queue_bytes_max = config.transport.send_queue_bytes;
  tcp_options.host_id = this_host_id();
  tcp_ = std::make_unique<TcpTransport>(*rt_, tcp_options, peers);
  auto listen_at = endpoint_of(config.listen);
  if (!listen_at.ok()) return listen_at.status();
  auto port = tcp_->listen(*listen_at);
  if (!port.ok()) return port.status();
  port_ = *port;
  if (config.transport.shm) {
    shm_ = std::make_unique<ShmTransport>(
        *rt_, *tcp_,
        ShmOptions{config.transport.shm_ring_bytes, config.transport.shm_threshold_bytes});
  }

  http_ = std::make_unique<HttpServer>(rt_->io());
  http_->route("/healthz", [] { return HttpResponse{200, "text/plain", "ok\n"}; });
  http_->route("/metrics", [this] {
    return HttpResponse{200, "text/plain; version=0.0.4", metrics_text()};
  });
  http_->route("/membership", [this] {
    return HttpResponse{200, "text/plain", membership_text()};
  });
  auto http_at = endpoint_of(config.http);
  if (!http_at.ok()) return http_at.status();
  auto http_port = http_->listen(*http_at);
  if (!http_port.ok()) return http_port.status();
  http_port_ = *http_port;

  node_ = std::make_unique<Node>(*rt_);
  if (absl::Status s = add_services(config); !s.ok()) return s;
  if (absl::Status s = open_client_port(config); !s.ok()) return s;
  rt_->set_receiver([this](NodeId from, const Message& m) { node_->deliver(from, m); });
  rt_->set_sender([this](NodeId to, Message m) { route(to, std::move(m)); });
  rt_->start();
  rt_->run_sync([this] { node_->start(); });
  rt_->logger().info("n{} up: frames on {}:{}, http on {}:{}, clients on {}:{}, data in {}",
                     config.node, config.listen.host, port_, config.http.host, http_port_,
                     config.client.host, client_port_, config.data_dir);
  return absl::OkStatus();
}

absl::Status NodeHost::add_services(const NodeConfig& config) {
  std::vector<NodeId> cluster{config.node};
  for (const auto& p : config.peers) cluster.push_back(p.node);
  std::sort(cluster.begin(), cluster.end());
  // cairnd does not know which roles its peers hold: every role's members are the cluster.
  // Zones come from the config (`zone:` of this node and of each peer; "" by default).
  std::map<NodeId, std::string> zones{{config.node, config.zone}};
  for (const auto& p : config.peers) zones[p.node] = p.zone;
  RoleContext ctx{*rt_, cluster, [cluster](std::string_view) { return cluster; }, hooks_,
                  [zones](NodeId id) {
                    auto it = zones.find(id);
                    return it == zones.end() ? std::string() : it->second;
                  }};
  for (const RoleInfo& role : roles_.roles()) {
    if (!config.has_role(role.name)) continue;
    if (absl::Status s = install_role(role, *node_, ctx, config.role_options); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// Only roles that serve clients open the client port, for their client message types.
absl::Status NodeHost::open_client_port(const NodeConfig& config) {
  ClientPortOptions options;
  options.max_connections = config.max_clients;
  for (const RoleInfo& role : roles_.roles()) {
    if (!config.has_role(role.name)) continue;
    options.accepted.insert(role.client_types.begin(), role.client_types.end());
    options.max_payload_bytes = std::max(options.max_payload_bytes, role.client_payload_max);
  }
  if (options.accepted.empty()) return absl::OkStatus();
  // Room for the largest answers (whole chunk reads) a client pipelines, four at a time,
  // twice over: an answer counts until its write completes, and the client may have sent
  // its next request by then.
  options.queue_bytes_max =
      std::max(options.queue_bytes_max, 8 * options.max_payload_bytes + (1u << 20));
  clients_ = std::make_unique<ClientPort>(*rt_, options);
  auto at = endpoint_of(config.client);
  if (!at.ok()) return at.status();
  auto port = clients_->listen(*at);
  if (!port.ok()) return port.status();
  client_port_ = *port;
  return absl::OkStatus();
}

void NodeHost::route(NodeId to, Message message) {
  if (ClientPort::owns(to)) {
    if (clients_) (void)clients_->send(to, message);  // a gone client's answer is dropped
    return;
  }
  if (shm_ && shm_->wants(to, message)) {
    if (shm_->send(to, message).ok()) return;
  }
  (void)tcp_->send(to, std::move(message));  // a refused message is dropped and counted
}

std::string NodeHost::metrics_text() {
  if (auto* meta = node_ ? node_->find<raft::RaftService>() : nullptr; meta != nullptr) {
    export_raft_gauges(*meta, rt_->metrics());
  }
  return prometheus_text(config_.node, rt_->metrics().snapshot());
}

std::string NodeHost::membership_text() {
  std::string out = absl::StrCat("# membership as seen by n", config_.node, "\n");
  auto* m = node_ ? node_->find<membership::Membership>() : nullptr;
  if (m == nullptr) return out + "# this node runs no membership role\n";
  for (const membership::Record& record : m->table().records()) {
    absl::StrAppend(&out, "n", record.node, " ", std::string(membership::state_name(record.state)),
                    " ", record.incarnation, "\n");
  }
  return out;
}

void NodeHost::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (rt_ != nullptr && rt_->on_loop_thread()) return;  // never from the loop itself
  auto close_all = [this] {
    if (http_) http_->close();
    if (clients_) clients_->close();
    if (shm_) shm_->close();
    if (tcp_) tcp_->close();
  };
  if (rt_ != nullptr && rt_->running()) {
    rt_->run_sync(close_all);
  } else {
    close_all();
  }
  if (shm_) shm_->join();  // its threads post to the loop: join them before stopping it
  if (rt_ != nullptr) rt_->stop();
}

NodeHost::~NodeHost() {
  stop();
  node_.reset();
  http_.reset();
  clients_.reset();
  shm_.reset();
  tcp_.reset();
  rt_.reset();
}

}  // namespace cairn::real
