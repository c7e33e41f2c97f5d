// cairn: the command-line client. First verb: `cairn status --peer HOST:PORT` prints the
// cluster's membership as the node at HOST:PORT (its HTTP port) sees it.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "runtime-real/config.h"
#include "runtime-real/http_server.h"

int main(int argc, char** argv) {
  using namespace cairn::real;
  CLI::App app{"cairn: talk to a Cairn cluster"};
  app.require_subcommand(1);
  auto* status = app.add_subcommand("status", "print the membership as one node sees it");
  std::string peer = "127.0.0.1:7101";
  status->add_option("--peer", peer,
                     "HOST:PORT of a node's HTTP endpoint (default 127.0.0.1:7101)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  auto hp = parse_host_port(peer);
  if (!hp.ok()) {
    std::fprintf(stderr, "cairn: --peer: %s\n", std::string(hp.status().message()).c_str());
    return 2;
  }
  auto body = http_get(hp->host, hp->port, "/membership");
  if (!body.ok()) {
    std::fprintf(stderr, "cairn: %s\n", body.status().ToString().c_str());
    return 1;
  }
  std::fputs(body->c_str(), stdout);
  return 0;
}
