// cairn: the command-line client.
//
//   cairn status --peer HOST:PORT          membership as the node at HOST:PORT (HTTP) sees it
//   cairn kv put KEY VALUE   [--peer H:P,H:P...] [--timeout 5s]
//   cairn kv get KEY         [--peer ...]   prints the value, or "(not found)" (exit 3)
//   cairn kv cas KEY EXPECTED NEW [--peer ...]   "ok", or "cas failed, found: V" (exit 3)
//   cairn kv del KEY         [--peer ...]   "deleted", or "(not found)" (exit 3)
//
// `kv` talks to the meta nodes' client ports (frames, runtime-real/client_port.h) and
// follows redirects to the leader (runtime-real/kv_blocking_client.h). Exit status: 0 done,
// 1 no leader answered within the timeout (a write may or may not have been applied),
// 2 bad usage, 3 the key was not found or a cas found another value.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "core/base/units.h"
#include "runtime-real/host/config.h"
#include "runtime-real/host/http_server.h"
#include "runtime-real/tools/kv_blocking_client.h"

namespace cairn::real {
namespace {

constexpr int kExitUnavailable = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNo = 3;

struct KvArgs {
  std::string verb;
  std::string key, value, expected;
  std::string peers = "127.0.0.1:7201";
  std::string timeout = "5s";
};

int print_value(const kv::wire::KvResult& r) {
  if (!r.found()) {
    std::puts("(not found)");
    return kExitNo;
  }
  std::fwrite(r.value().data(), 1, r.value().size(), stdout);
  std::fputc('\n', stdout);
  return 0;
}

int run_kv(const KvArgs& a) {
  auto peers = parse_peer_list(a.peers);
  if (!peers.ok()) {
    std::fprintf(stderr, "cairn: --peer: %s\n", std::string(peers.status().message()).c_str());
    return kExitUsage;
  }
  auto timeout = parse_duration(a.timeout);
  if (!timeout.ok() || *timeout <= Duration(0)) {
    std::fprintf(stderr, "cairn: --timeout must be a positive duration such as 5s or 500ms\n");
    return kExitUsage;
  }
  KvBlockingClientOptions options;
  options.peers = *peers;
  options.deadline = std::chrono::duration_cast<std::chrono::milliseconds>(*timeout);
  options.attempt_timeout = std::min(options.deadline, std::chrono::milliseconds(1000));
  KvBlockingClient client(options);
  absl::StatusOr<kv::wire::KvResult> r;
  if (a.verb == "put") r = client.put(a.key, a.value);
  if (a.verb == "get") r = client.get(a.key);
  if (a.verb == "cas") r = client.cas(a.key, a.expected, a.value);
  if (a.verb == "del") r = client.del(a.key);
  if (!r.ok()) {
    std::fprintf(stderr, "cairn: %s\n", r.status().ToString().c_str());
    return r.status().code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitUnavailable;
  }
  if (a.verb == "get") return print_value(*r);
  if (a.verb == "del") {
    std::puts(r->ok() ? "deleted" : "(not found)");
    return r->ok() ? 0 : kExitNo;
  }
  if (a.verb == "put" || r->ok()) {
    std::puts("ok");
    return 0;
  }
  std::fputs("cas failed, found: ", stdout);  // then the value, or "(not found)"
  print_value(*r);
  return kExitNo;
}

void add_kv_verbs(CLI::App& kv, KvArgs& a) {
  struct Verb {
    const char* name;
    const char* help;
    std::vector<std::pair<const char*, std::string*>> args;
  };
  const std::vector<Verb> verbs = {
      {"put", "set KEY to VALUE", {{"KEY", &a.key}, {"VALUE", &a.value}}},
      {"get", "print KEY's value (linearizable read)", {{"KEY", &a.key}}},
      {"cas",
       "set KEY to NEW if its value is EXPECTED",
       {{"KEY", &a.key}, {"EXPECTED", &a.expected}, {"NEW", &a.value}}},
      {"del", "delete KEY", {{"KEY", &a.key}}},
  };
  for (const Verb& v : verbs) {
    CLI::App* sub = kv.add_subcommand(v.name, v.help);
    for (const auto& [name, target] : v.args) sub->add_option(name, *target)->required();
    sub->add_option("--peer", a.peers,
                    "client ports of meta nodes, HOST:PORT[,HOST:PORT...] (default "
                    "127.0.0.1:7201)");
    sub->add_option("--timeout", a.timeout, "give up after this long (default 5s)");
    sub->callback([&a, name = std::string(v.name)] { a.verb = name; });
  }
}

}  // namespace
}  // namespace cairn::real

int main(int argc, char** argv) {
  using namespace cairn::real;
  CLI::App app{"cairn: talk to a Cairn cluster"};
  app.require_subcommand(1);
  auto* status = app.add_subcommand("status", "print the membership as one node sees it");
  std::string peer = "127.0.0.1:7101";
  status->add_option("--peer", peer,
                     "HOST:PORT of a node's HTTP endpoint (default 127.0.0.1:7101)");
  auto* kv = app.add_subcommand("kv", "the meta group's key-value store");
  kv->require_subcommand(1);
  KvArgs kv_args;
  add_kv_verbs(*kv, kv_args);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  if (*kv) return run_kv(kv_args);
  auto hp = parse_host_port(peer);
  if (!hp.ok()) {
    std::fprintf(stderr, "cairn: --peer: %s\n", std::string(hp.status().message()).c_str());
    return kExitUsage;
  }
  auto body = http_get(hp->host, hp->port, "/membership");
  if (!body.ok()) {
    std::fprintf(stderr, "cairn: %s\n", body.status().ToString().c_str());
    return kExitUnavailable;
  }
  std::fputs(body->c_str(), stdout);
  return 0;
}
