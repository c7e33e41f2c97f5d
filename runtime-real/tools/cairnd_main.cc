// cairnd: runs one Cairn node from a config file, or a small loopback cluster (`dev`).
//
//   cairnd --config node.yaml
//   cairnd dev [--nodes 3] [--port 7000] [--data-dir ./cairn-dev] [--log-level info]
//              [--no-meta] [--only N] [--grpc [--grpc-token-ttl-ms MS]]
//
// `dev --only N` runs node N of that cluster alone, so each node can be a process of its
// own: start `cairnd dev --nodes 5 --only i` for i = 1..5 and kill any one of them.
//
// Exit status: 0 after a clean shutdown (SIGTERM or SIGINT), 2 for a bad config or bad
// arguments, 1 if a node cannot start (e.g. its port is taken).
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <thread>

#include "runtime-real/grpc/grpc_gateway.h"
#include "runtime-real/host/config.h"
#include "runtime-real/host/huge_pages.h"
#include "runtime-real/host/node_host.h"
#include "runtime-real/host/spd_log.h"

namespace cairn::real {
namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

// Until a handler exists, SIGTERM and SIGINT stay pending rather than end the process
// uncleanly (a supervisor or a test may stop a node the moment it was started).
void block_stop_signals() {
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void unblock_stop_signals() {
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

// Each client connection is a file descriptor: take the most the hard limit allows, and
// say so when even that is below what a node's max_clients accepts.
void raise_fd_limit(const std::vector<NodeConfig>& configs, spdlog::logger& logger) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) (void)getrlimit(RLIMIT_NOFILE, &lim);
  }
  size_t wanted = 0;
  for (const NodeConfig& c : configs) wanted = std::max(wanted, c.max_clients + 256);
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < wanted) {
    logger.warn(
        "open file limit {} is below the {} a node's max_clients may need; "
        "client connections past it will be refused (raise `ulimit -n`)",
        lim.rlim_cur, wanted);
  }
}

// The node's gRPC gateway, when its config asks for one (a null pointer otherwise).
absl::StatusOr<std::unique_ptr<GrpcGateway>> start_grpc(const NodeConfig& c,
                                                        spdlog::logger& logger) {
  if (!c.grpc) return std::unique_ptr<GrpcGateway>();
  GrpcGatewayOptions o;
  o.listen = *c.grpc;
  o.cluster = c.grpc_cluster.empty() ? std::vector<HostPort>{c.client} : c.grpc_cluster;
  o.spool_dir = c.data_dir + "/grpc-uploads";
  o.data_listen = c.grpc_data_listen;
  o.shared_memory = c.grpc_shared_memory;
  o.token_ttl_ms = c.grpc_token_ttl_ms;
  auto g = GrpcGateway::start(std::move(o));
  if (g.ok()) {
    logger.info("n{} serves gRPC on {}:{}, its data plane on {}", c.node, c.grpc->host,
                (*g)->port(), (*g)->data_plane_address());
  }
  return g;
}

int run_nodes(const std::vector<NodeConfig>& configs, LogLevel level) {
  auto logger = make_process_logger(level);
  raise_fd_limit(configs, *logger);
  asio::thread_pool workers(std::max(2u, std::thread::hardware_concurrency()));
  // Signals are taken on a loop of their own. main() blocked them at start-up, so a SIGTERM
  // that came early waited (pending) for this handler instead of killing the process.
  asio::io_context main_io;
  asio::signal_set signals(main_io, SIGTERM, SIGINT);
  unblock_stop_signals();
  std::vector<std::unique_ptr<NodeHost>> nodes;
  std::vector<std::unique_ptr<GrpcGateway>> gateways;
  int status = 0;
  for (const auto& c : configs) {
    auto host = NodeHost::start(c, workers, logger);
    if (!host.ok()) {
      logger->error("n{} cannot start: {}", c.node, host.status().ToString());
      status = 1;
      break;
    }
    nodes.push_back(std::move(*host));
    auto gateway = start_grpc(c, *logger);
    if (!gateway.ok()) {
      logger->error("n{} cannot start: {}", c.node, gateway.status().ToString());
      status = 1;
      break;
    }
    if (*gateway) gateways.push_back(std::move(*gateway));
  }
  if (status == 0) {
    signals.async_wait([&](const boost::system::error_code&, int sig) {
      logger->info("signal {}: shutting down", sig);
    });
    main_io.run();
  }
  for (auto& g : gateways) g->stop();
  gateways.clear();
  for (auto& n : nodes) n->stop();
  nodes.clear();
  workers.join();
  logger->info("stopped");
  return status;
}

// `cairnd dev --grpc`: node i serves gRPC on base_port + 300 + i, through every node.
// Its data plane listens on any free port (GetTransportDetails names it); tokens live
// `token_ttl_ms`.
void add_dev_grpc(uint16_t base_port, int64_t token_ttl_ms, std::vector<NodeConfig>* all) {
  std::vector<HostPort> clients;
  for (const NodeConfig& c : *all) clients.push_back(c.client);
  for (NodeConfig& c : *all) {
    c.grpc = HostPort{"127.0.0.1", static_cast<uint16_t>(base_port + 300 + c.node)};
    c.grpc_cluster = clients;
    c.grpc_token_ttl_ms = token_ttl_ms;
  }
}

}  // namespace
}  // namespace cairn::real

int main(int argc, char** argv) {
  using namespace cairn::real;
  // Blocked first: the mask and any pending SIGTERM survive the re-exec below, so a stop
  // asked for while the process starts still ends it cleanly.
  block_stop_signals();
  use_huge_pages_for_malloc(argv);
  CLI::App app{"cairnd: a Cairn node"};
  std::string config_path;
  app.add_option("--config", config_path, "node config file (YAML)");
  auto* dev = app.add_subcommand("dev", "run a small cluster on loopback in this process");
  int nodes = 3;
  int port = 7000;
  std::string data_dir = "./cairn-dev";
  std::string level_text = "info";
  dev->add_option("--nodes", nodes, "number of nodes (default 3)")->check(CLI::Range(1, 64));
  dev->add_option("--port", port,
                  "node i takes frames on port+i, HTTP on port+100+i (default 7000)")
      ->check(CLI::Range(1, 65000 - 300));
  dev->add_option("--data-dir", data_dir,
                  "node i keeps its data in DIR/n<i> (default ./cairn-dev)");
  dev->add_option("--log-level", level_text, "debug, info, warn or error (default info)");
  bool no_meta = false;
  dev->add_flag("--no-meta", no_meta,
                "run only the membership role (default: every node also runs meta, a Raft "
                "group of all nodes, clients on port+200+i)");
  int only = 0;
  dev->add_option("--only", only,
                  "run only node N of the dev cluster in this process, so that each node can "
                  "be a process of its own (and be killed alone)")
      ->check(CLI::Range(1, 64));
  bool grpc = false;
  dev->add_flag("--grpc", grpc,
                "node i also serves gRPC (Remote Execution API cache, ByteStream) on "
                "port+300+i, through the client ports of every node");
  int64_t token_ttl_ms = 60000;
  dev->add_option("--grpc-token-ttl-ms", token_ttl_ms,
                  "how long a transfer token of the gRPC gateway lives (default 60000)")
      ->check(CLI::Range(int64_t{1}, int64_t{86400000}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (*dev) {
    cairn::LogLevel level = cairn::LogLevel::kInfo;
    if (!parse_log_level(level_text, &level)) {
      std::fprintf(stderr, "cairnd: --log-level must be debug, info, warn or error\n");
      return 2;
    }
    if (only > nodes) {
      std::fprintf(stderr, "cairnd: --only %d: the cluster has %d nodes\n", only, nodes);
      return 2;
    }
    std::vector<NodeConfig> all =
        dev_cluster(nodes, static_cast<uint16_t>(port), data_dir, !no_meta);
    if (grpc) add_dev_grpc(static_cast<uint16_t>(port), token_ttl_ms, &all);
    if (only > 0) all = {all[static_cast<size_t>(only - 1)]};
    return run_nodes(std::move(all), level);
  }
  if (config_path.empty()) {
    std::fprintf(stderr, "cairnd: give --config FILE, or `cairnd dev` (see --help)\n");
    return 2;
  }
  auto config = load_node_config(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  return run_nodes({*config}, config->log_level);
}
