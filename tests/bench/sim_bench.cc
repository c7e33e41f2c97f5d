// How fast the simulator runs: simulated messages per wall-clock second for a large
// failure-detection cluster, beside a raw SimGrid ping-pong measured in the same run.
//
//   ./build/tests/bench/bench_sim [--nodes 1000] [--sim-seconds 3600]
//
// Each measurement runs in its own forked process (one SimGrid engine per process).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <simgrid/s4u.hpp>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "runtime-sim/fork_runner.h"
#include "runtime-sim/scenario.h"
#include "runtime-sim/world.h"

namespace sg4 = simgrid::s4u;
using namespace cairn;

namespace {

// Two actors bounce a small message through mailboxes; returns "messages seconds".
std::string raw_ping_pong(int rounds) {
  int argc = 2;
  char arg0[] = "bench", arg1[] = "--log=root.thres:critical";
  char* argv[] = {arg0, arg1, nullptr};
  sg4::Engine e(&argc, argv);
  auto* zone = sg4::create_star_zone("z");
  for (const char* name : {"a", "b"}) {
    sg4::Host* h = zone->create_host(name, 1e9)->seal();
    const sg4::Link* l = zone->create_split_duplex_link(std::string(name) + "-l", 125e6)
                             ->set_latency(125e-6)
                             ->seal();
    zone->add_route(h->get_netpoint(), nullptr, nullptr, nullptr,
                    {{l, sg4::LinkInRoute::Direction::UP}}, true);
  }
  zone->seal();
  static int payload = 0;
  sg4::Actor::create("ping", e.host_by_name("a"), [rounds] {
    for (int i = 0; i < rounds; ++i) {
      sg4::Mailbox::by_name("b")->put(&payload, 100);
      sg4::Mailbox::by_name("a")->get<int>();
    }
  });
  sg4::Actor::create("pong", e.host_by_name("b"), [rounds] {
    for (int i = 0; i < rounds; ++i) {
      sg4::Mailbox::by_name("b")->get<int>();
      sg4::Mailbox::by_name("a")->put(&payload, 100);
    }
  });
  const auto start = std::chrono::steady_clock::now();
  e.run();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return absl::StrCat(2 * rounds, " ", wall);
}

}  // namespace

int main(int argc, char** argv) {
  int nodes = 1000;
  int sim_seconds = 3600;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--nodes") == 0) nodes = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--sim-seconds") == 0) sim_seconds = std::atoi(argv[i + 1]);
  }
  auto base = sim::run_in_child([] { return raw_ping_pong(200000); });
  if (!base.ok()) {
    std::fprintf(stderr, "baseline failed: %s\n", std::string(base.status().message()).c_str());
    return 1;
  }
  double base_msgs = 0, base_wall = 0;
  std::sscanf(base->c_str(), "%lf %lf", &base_msgs, &base_wall);
  const double base_rate = base_msgs / base_wall;

  sim::Scenario s = sim::make_cluster_scenario("bench", static_cast<size_t>(nodes),
                                               std::chrono::seconds(sim_seconds));
  s.metrics_interval = std::chrono::seconds(sim_seconds);
  auto r = sim::run_scenario_in_child(s, sim::RunOptions{});
  if (!r.ok()) {
    std::fprintf(stderr, "cairn run failed: %s\n", std::string(r.status().message()).c_str());
    return 1;
  }
  const double msgs = r->metrics["messages_delivered"];
  const double rate = msgs / r->wall_time_s;
  std::printf("raw SimGrid ping-pong:    %.0f messages in %.2f s wall = %.0f msg/s\n", base_msgs,
              base_wall, base_rate);
  std::printf(
      "cairn-sim %d nodes x %d s: %.0f messages in %.2f s wall = %.0f msg/s "
      "(%.0f simulated s per wall s)\n",
      nodes, sim_seconds, msgs, r->wall_time_s, rate, sim_seconds / r->wall_time_s);
  std::printf("ratio cairn/raw: %.2f\n", rate / base_rate);
  std::printf("aim: 1000 nodes x 3600 s in under 60 s wall: %s (%.1f s)\n",
              (nodes >= 1000 && sim_seconds >= 3600 && r->wall_time_s < 60) ? "met" : "not met",
              r->wall_time_s);
  return 0;
}
