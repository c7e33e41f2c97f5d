// How fast the simulator runs: simulated messages per wall-clock second for a large
// failure-detection cluster, beside a raw SimGrid ping-pong measured in the same run.
//
//   ./build/tests/bench/bench_sim [--nodes 1000] [--sim-seconds 3600] [--monitors 3]
//                                 [--flow-threshold BYTES]   (0: every message a flow)
//
// Each measurement runs in its own forked process (one SimGrid engine per process).
#include <sys/resource.h>

#include <algorithm>
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

// CPU seconds used so far by finished children (robust to other load on the machine).
double children_cpu_s() {
  rusage u{};
  getrusage(RUSAGE_CHILDREN, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  int nodes = 1000;
  int sim_seconds = 3600;
  int monitors = 3;
  long long flow_threshold = -1;  // the scenario default
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--nodes") == 0) nodes = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--sim-seconds") == 0) sim_seconds = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--monitors") == 0) monitors = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--flow-threshold") == 0) flow_threshold = std::atoll(argv[i + 1]);
  }
  const double cpu0 = children_cpu_s();
  auto base = sim::run_in_child([] { return raw_ping_pong(200000); });
  const double base_cpu = children_cpu_s() - cpu0;
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
  s.membership().monitors = static_cast<size_t>(std::max(1, monitors));
  if (flow_threshold >= 0) s.link.flow_threshold_bytes = static_cast<uint64_t>(flow_threshold);
  const double cpu1 = children_cpu_s();
  auto r = sim::run_scenario_in_child(s, sim::RunOptions{});
  const double cairn_cpu = children_cpu_s() - cpu1;
  if (!r.ok()) {
    std::fprintf(stderr, "cairn run failed: %s\n", std::string(r.status().message()).c_str());
    return 1;
  }
  const double msgs = r->metrics["messages_delivered"];
  const double rate = msgs / r->wall_time_s;
  std::printf(
      "raw SimGrid ping-pong: %.0f messages, %.2f s wall, %.2f s CPU = %.0f msg per CPU s\n",
      base_msgs, base_wall, base_cpu, base_msgs / base_cpu);
  std::printf(
      "cairn-sim %d nodes x %d s, %d monitors, flow threshold %llu B: %.0f messages, %.2f s wall, "
      "%.2f s CPU = "
      "%.0f msg per CPU s (%.1f simulated s per CPU s)\n",
      nodes, sim_seconds, monitors, static_cast<unsigned long long>(s.link.flow_threshold_bytes),
      msgs, r->wall_time_s, cairn_cpu, msgs / cairn_cpu, sim_seconds / cairn_cpu);
  std::printf("ratio cairn/raw (messages per CPU second): %.2f   (per wall second: %.2f)\n",
              (msgs / cairn_cpu) / (base_msgs / base_cpu), rate / base_rate);
  std::printf("aim: 1000 nodes x 3600 s in under 60 s: %s (%.1f s wall, %.1f s CPU)\n",
              (nodes >= 1000 && sim_seconds >= 3600 && cairn_cpu < 60) ? "met" : "not met",
              r->wall_time_s, cairn_cpu);
  return 0;
}
