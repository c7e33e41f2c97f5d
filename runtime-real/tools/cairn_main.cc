// cairn: the command-line client.
//
//   cairn status --peer HOST:PORT     membership as the node at HOST:PORT (HTTP) sees it
//   cairn kv put|get|cas|del ...      the meta group's key-value store (tools/cli_kv.h)
//   cairn put|get|cat|ls|stat|rm|mv|mkdir|rmdir|versions ...   files (tools/cli_files.h)
//   cairn node list|drain|undrain ...   storage nodes and draining them (tools/cli_node.h)
//   cairn bench ...                   put/get/metadata workloads, latency percentiles
//                                     (tools/cli_bench.h)
//
// Exit status, for every subcommand (tools/cli_common.h): 0 done; 1 the cluster could not
// be reached, or no leader answered within the timeout (a write may or may not have been
// applied); 2 bad usage or input; 3 not found, or a conditional write found another value;
// file commands also 4 (a conflict) and 5 (data not read back intact, or a local file).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "runtime-real/host/http_server.h"
#include "runtime-real/host/huge_pages.h"
#include "runtime-real/tools/cli_bench.h"
#include "runtime-real/tools/cli_common.h"
#include "runtime-real/tools/cli_files.h"
#include "runtime-real/tools/cli_kv.h"
#include "runtime-real/tools/cli_node.h"

int main(int argc, char** argv) {
  using namespace cairn::real;
  use_huge_pages_for_malloc(argv);
  CLI::App app{"cairn: talk to a Cairn cluster"};
  app.require_subcommand(1);
  auto* status = app.add_subcommand("status", "print the membership as one node sees it");
  std::string peer = "127.0.0.1:7101";
  status->add_option("--peer", peer,
                     "HOST:PORT of a node's HTTP endpoint (default 127.0.0.1:7101)");
  cli::KvArgs kv_args;
  CLI::App* kv = cli::add_kv_command(app, kv_args);
  cli::FileArgs file_args;
  std::vector<CLI::App*> files = cli::add_file_commands(app, file_args);
  cli::NodeArgs node_args;
  CLI::App* node = cli::add_node_command(app, node_args);
  cli::BenchArgs bench_args;
  CLI::App* bench = cli::add_bench_command(app, bench_args);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli::report_parse_error(app, e, cli::json_requested(argc, argv));
  }
  if (*kv) return cli::run_kv_command(kv_args);
  if (*node) return cli::run_node_command(node_args);
  if (*bench) return cli::run_bench_command(bench_args);
  for (CLI::App* f : files) {
    if (*f) return cli::run_file_command(file_args);
  }
  auto hp = parse_host_port(peer);
  if (!hp.ok()) {
    std::fprintf(stderr, "cairn: --peer: %s\n", std::string(hp.status().message()).c_str());
    return cli::kExitUsage;
  }
  auto body = http_get(hp->host, hp->port, "/membership");
  if (!body.ok()) {
    std::fprintf(stderr, "cairn: %s\n", body.status().ToString().c_str());
    return cli::kExitUnavailable;
  }
  std::fputs(body->c_str(), stdout);
  return cli::kExitOk;
}
