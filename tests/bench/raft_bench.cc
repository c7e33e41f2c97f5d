// Raft metadata group benchmark (issue 4): committed writes per second and put latency of
// a 3-node cairnd meta group on loopback (fsync on), against a 3-member etcd cluster
// (Debian's etcd-server, WAL fsync on) started on loopback in the same run.
//
// Load, the same shape for both: `clients` closed-loop clients, each with one put in
// flight (256 B values, key "bench/<client>"), spread over `connections` connections to
// the leader. Cairn: frames on the client port, driven by one thread with poll().
// etcd: its v3 gRPC API (KV.Put), asynchronous calls on one completion queue, one thread,
// one channel per connection. The first second of each run is warm-up, not counted.
//
//   raft_bench [--seconds 5] [--clients 1,64] [--connections 8] [--value-bytes 256]
//              [--repeat 3]
#include <poll.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/kv/kv_client.pb.h"
#include "core/wire/message_types.h"
#include "runtime-real/transport/client_conn.h"
#include "tests/bench/raft_bench_etcd.h"
#include "tests/real/meta_cluster.h"
#include "tests/real/process.h"

namespace cairn::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using kv::wire::KvRequest;
using kv::wire::KvResponse;
using real::ClientConn;

struct CairnClient {
  size_t conn = 0;
  uint64_t id = 0;
  uint64_t seq = 0;
  uint64_t request = 0;
  Clock::time_point sent;
};

// One closed-loop run against the leader's client port.
absl::StatusOr<LoadResult> cairn_load(const real::HostPort& leader, const LoadShape& shape) {
  std::vector<std::unique_ptr<ClientConn>> conns;
  const size_t n_conns = std::min<size_t>(shape.connections, shape.clients);
  for (size_t i = 0; i < n_conns; ++i) {
    auto c = ClientConn::open(leader, Clock::now() + 2s);
    if (!c.ok()) return c.status();
    conns.push_back(std::move(*c));
  }
  std::mt19937_64 rng(std::random_device{}());
  std::vector<CairnClient> clients(shape.clients);
  std::map<uint64_t, size_t> by_request;
  uint64_t next_request = 0;
  const std::string value(shape.value_bytes, 'v');
  std::vector<std::vector<Message>> outbox(n_conns);
  auto issue = [&](size_t c) {
    CairnClient& cl = clients[c];
    KvRequest req;
    req.set_request_id(cl.request = ++next_request);
    auto* cmd = req.mutable_command();
    cmd->set_client_id(cl.id);
    cmd->set_sequence(++cl.seq);
    cmd->set_op(kv::wire::KV_PUT);
    cmd->set_key(absl::StrCat("bench/", c));
    cmd->set_value(value);
    by_request[cl.request] = c;
    cl.sent = Clock::now();
    outbox[cl.conn].push_back(Message{.type = wire::kKvRequest, .header = req.SerializeAsString()});
  };
  auto flush = [&]() -> absl::Status {
    for (size_t i = 0; i < n_conns; ++i) {
      if (outbox[i].empty()) continue;
      if (absl::Status s = conns[i]->send_batch(outbox[i]); !s.ok()) return s;
      outbox[i].clear();
    }
    return absl::OkStatus();
  };
  for (size_t c = 0; c < clients.size(); ++c) {
    clients[c].conn = c % n_conns;
    clients[c].id = rng() | 1;
    issue(c);
  }
  if (absl::Status s = flush(); !s.ok()) return s;
  LoadRecorder rec(shape);
  std::vector<pollfd> fds(n_conns);
  while (!rec.done()) {
    for (size_t i = 0; i < n_conns; ++i) fds[i] = pollfd{conns[i]->fd(), POLLIN, 0};
    if (::poll(fds.data(), fds.size(), 1000) <= 0) return absl::DeadlineExceededError("stalled");
    for (size_t i = 0; i < n_conns; ++i) {
      if ((fds[i].revents & (POLLIN | POLLERR | POLLHUP)) == 0) continue;
      std::vector<Message> got;
      if (absl::Status s = conns[i]->read_available(&got); !s.ok()) return s;
      for (const Message& m : got) {
        KvResponse r;
        if (m.type != wire::kKvResponse || !r.ParseFromString(m.header)) continue;
        auto it = by_request.find(r.request_id());
        if (it == by_request.end()) continue;
        const size_t c = it->second;
        by_request.erase(it);
        if (r.status() != kv::wire::KV_OK) {
          return absl::UnavailableError(absl::StrCat("put refused: ", r.error()));
        }
        rec.record(clients[c].sent, Clock::now());
        issue(c);
      }
    }
    if (absl::Status s = flush(); !s.ok()) return s;
  }
  return rec.result();
}

absl::StatusOr<std::vector<LoadResult>> run_cairn(const std::string& cairnd,
                                                  const std::vector<LoadShape>& shapes) {
  char tmpl[] = "/tmp/cairn-raftbench-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return absl::InternalError("mkdtemp");
  real::testing::MetaClusterOptions o;
  o.cairnd = cairnd;
  o.roles = "[meta]";
  // etcd's defaults: heartbeat 100 ms, election timeout 1 s.
  o.tick = "50ms";
  o.heartbeat = "100ms";
  o.election_timeout = "[1s, 2s]";
  o.log_level = "warn";
  real::testing::MetaCluster cluster(tmpl, o);
  cluster.start_all();
  int leader = 0;
  if (!real::testing::wait_until(10s, [&] { return (leader = cluster.leader()) != 0; })) {
    return absl::UnavailableError(absl::StrCat("cairn: no leader; logs in ", tmpl));
  }
  std::vector<LoadResult> out;
  for (const LoadShape& shape : shapes) {
    auto r = cairn_load(real::HostPort{"127.0.0.1", cluster.client_port(leader)}, shape);
    if (!r.ok()) return r.status();
    out.push_back(*r);
  }
  auto m = cluster.metrics(leader);
  std::printf("cairn leader n%d: %.0f proposals in %.0f synced disk writes (%.1f per fsync)\n",
              leader, m["cairn_raft_proposals"], m["cairn_raft_disk_writes"],
              m["cairn_raft_proposals"] / std::max(1.0, m["cairn_raft_disk_writes"]));
  cluster.stop_all();
  std::filesystem::remove_all(tmpl);
  return out;
}

LoadResult median_run(std::vector<LoadResult> runs) {
  std::sort(runs.begin(), runs.end(),
            [](const LoadResult& a, const LoadResult& b) { return a.ops_per_s < b.ops_per_s; });
  return runs[runs.size() / 2];
}

void print_row(const char* who, const LoadShape& s, const LoadResult& r) {
  std::printf(
      "%-6s clients=%-3zu conns=%-2zu %8.0f writes/s  mean %6.2f  p50 %6.2f  p90 %6.2f  p99 "
      "%6.2f ms\n",
      who, s.clients, std::min(s.connections, s.clients), r.ops_per_s, r.mean_ms, r.p50_ms,
      r.p90_ms, r.p99_ms);
}

}  // namespace
}  // namespace cairn::bench

int main(int argc, char** argv) {
  using namespace cairn::bench;
  CLI::App app{"raft_bench: cairnd meta group vs etcd, 3 nodes on loopback, fsync on"};
  double seconds = 5;
  std::string clients_text = "1,64";
  size_t connections = 8;
  size_t value_bytes = 256;
  int repeat = 3;
  app.add_option("--repeat", repeat, "runs of each system, alternating")->check(CLI::Range(1, 20));
  app.add_option("--seconds", seconds, "measured seconds per run (after 1 s warm-up)");
  app.add_option("--clients", clients_text, "comma-separated client counts");
  app.add_option("--connections", connections, "connections to the leader");
  app.add_option("--value-bytes", value_bytes, "bytes per value");
  CLI11_PARSE(app, argc, argv);
  std::vector<LoadShape> shapes;
  for (absl::string_view part : absl::StrSplit(clients_text, ',')) {
    LoadShape s;
    s.clients = std::stoul(std::string(part));
    s.connections = connections;
    s.value_bytes = value_bytes;
    s.measure = std::chrono::duration<double>(seconds);
    shapes.push_back(s);
  }
  // Alternate the two systems `repeat` times so that a burst of load from other work on
  // the machine is less likely to hit one of them only; report each one's median run.
  std::vector<std::vector<LoadResult>> ours(shapes.size()), theirs(shapes.size());
  absl::Status etcd_status = absl::OkStatus();
  for (int rep = 0; rep < repeat; ++rep) {
    auto c = run_cairn(CAIRND_PATH, shapes);
    if (!c.ok()) {
      std::fprintf(stderr, "cairn run failed: %s\n", c.status().ToString().c_str());
      return 1;
    }
    auto e = etcd_status.ok() ? run_etcd(shapes) : etcd_status;
    etcd_status = e.status();
    for (size_t i = 0; i < shapes.size(); ++i) {
      print_row("cairn", shapes[i], (*c)[i]);
      ours[i].push_back((*c)[i]);
      if (!e.ok()) continue;
      print_row("etcd", shapes[i], (*e)[i]);
      theirs[i].push_back((*e)[i]);
    }
  }
  std::printf("\nmedian of %d runs (by throughput):\n", repeat);
  for (size_t i = 0; i < shapes.size(); ++i) {
    const LoadResult a = median_run(ours[i]);
    print_row("cairn", shapes[i], a);
    if (theirs[i].empty()) continue;
    const LoadResult b = median_run(theirs[i]);
    print_row("etcd", shapes[i], b);
    std::printf(
        "ratio  cairn/etcd throughput %.2fx, p50 %.2fx, p99 %.2fx (latency: lower is < 1)\n",
        a.ops_per_s / b.ops_per_s, a.p50_ms / b.p50_ms, a.p99_ms / b.p99_ms);
  }
  if (!etcd_status.ok()) std::printf("etcd skipped: %s\n", etcd_status.ToString().c_str());
  return 0;
}
