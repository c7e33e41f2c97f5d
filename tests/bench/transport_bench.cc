// Transport benchmarks: every figure is printed beside a baseline measured in this run.
//   TCP 1 MiB payload throughput  vs  a raw loopback socket (and iperf3 if installed)
//   shm 1 MiB payload throughput  vs  single-thread memcpy of 1 MiB buffers
//   small frames (64 B payload) per second over TCP and over shm
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "runtime-real/asio_runtime.h"
#include "runtime-real/node_host.h"
#include "runtime-real/shm_transport.h"
#include "runtime-real/spd_log.h"
#include "runtime-real/tcp_transport.h"
#include "tests/real/process.h"

namespace cairn::real {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Two nodes in this process; node 1 pumps messages to node 2 as fast as the queues allow.
struct Pair {
  Pair(bool shm, uint64_t threshold) {
    const auto ports = testing::free_ports(2);
    dir = "/tmp/cairn-bench-" + std::to_string(::getpid());
    for (int i = 0; i < 2; ++i) {
      const NodeId id = static_cast<NodeId>(i + 1);
      rt[i] = std::make_unique<AsioRuntime>(id, dir + "/n" + std::to_string(id), pool,
                                            make_process_logger(LogLevel::kWarn), id);
      TcpOptions o;
      o.host_id = this_host_id();
      const uint16_t peer_port = ports[1 - i];
      tcp[i] = std::make_unique<TcpTransport>(
          *rt[i], o,
          std::vector<PeerAddress>{
              {static_cast<NodeId>(2 - i),
               tcp::endpoint(asio::ip::make_address("127.0.0.1"), peer_port)}});
      (void)tcp[i]->listen(tcp::endpoint(asio::ip::make_address("127.0.0.1"), ports[i]));
      if (shm)
        shm_[i] =
            std::make_unique<ShmTransport>(*rt[i], *tcp[i], ShmOptions{8 << 20, threshold, 256});
    }
    rt[1]->set_receiver([this](NodeId, const Message& m) {
      received_bytes.fetch_add(m.payload.size());
      received.fetch_add(1);
    });
    rt[0]->set_receiver([](NodeId, const Message&) {});
    rt[0]->start();
    rt[1]->start();
    // Node 2 says hello to node 1 so that node 1 knows it shares the host.
    rt[1]->run_sync([this] { (void)tcp[1]->send(1, Message{1, "hi", {}}); });
  }
  ~Pair() {
    for (int i = 0; i < 2; ++i) {
      rt[i]->run_sync([this, i] {
        if (shm_[i]) shm_[i]->close();
        tcp[i]->close();
      });
      if (shm_[i]) shm_[i]->join();
      rt[i]->stop();
    }
    pool.join();
    std::filesystem::remove_all(dir);
  }

  // Sends `count` messages of `payload` bytes from node 1, over shm when `use_shm`.
  double run(uint64_t count, size_t payload, bool use_shm) {
    auto bytes = std::make_shared<const std::string>(payload, 'p');
    const Message m{0x0501, "h", Payload{bytes, 0}};
    received = 0;
    received_bytes = 0;
    if (use_shm) {  // set up the ring first: the first large message triggers the offer
      testing::wait_until(std::chrono::seconds(5), [&] {
        bool up = false;
        rt[0]->run_sync([&] { up = shm_[0]->wants(2, m); });
        return up;
      });
    }
    const auto start = Clock::now();
    std::atomic<uint64_t> sent{0};
    std::function<void()> pump = [&] {
      while (sent < count) {
        const absl::Status s = use_shm ? shm_[0]->send(2, m) : tcp[0]->send(2, m);
        if (!s.ok()) {
          rt[0]->after(std::chrono::microseconds(use_shm ? 20 : 200), pump);
          return;
        }
        ++sent;
      }
    };
    rt[0]->post(pump);
    testing::wait_until(std::chrono::seconds(60), [&] { return received.load() >= count; });
    return seconds_since(start);
  }

  std::string dir;
  asio::thread_pool pool{2};
  std::unique_ptr<AsioRuntime> rt[2];
  std::unique_ptr<TcpTransport> tcp[2];
  std::unique_ptr<ShmTransport> shm_[2];
  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> received_bytes{0};
};

// Raw loopback socket: one thread writes `total` bytes in 1 MiB writes, one reads them.
double raw_socket_gbps(uint64_t total) {
  const uint16_t port = testing::free_ports(1)[0];
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  std::thread writer([&] {
    asio::io_context wio;
    tcp::socket s(wio);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    std::string buf(1 << 20, 'r');
    for (uint64_t done = 0; done < total; done += buf.size()) asio::write(s, asio::buffer(buf));
  });
  tcp::socket r = acceptor.accept();
  std::vector<char> buf(1 << 20);
  const auto start = Clock::now();
  uint64_t got = 0;
  while (got < total) got += r.read_some(asio::buffer(buf));
  const double t = seconds_since(start);
  writer.join();
  return total / t / 1e9;
}

double memcpy_gbps() {
  std::string src(1 << 20, 'm'), dst(1 << 20, 0);
  const auto start = Clock::now();
  constexpr int kRounds = 4000;
  for (int i = 0; i < kRounds; ++i) {
    src[i % src.size()] = static_cast<char>(i);
    std::memcpy(dst.data(), src.data(), src.size());
    asm volatile("" : : "r"(dst.data()) : "memory");
  }
  return double(kRounds) * src.size() / seconds_since(start) / 1e9;
}

double iperf3_gbps() {
  if (std::system("command -v iperf3 > /dev/null 2>&1") != 0) return 0;
  const uint16_t port = testing::free_ports(1)[0];
  const std::string p = std::to_string(port);
  const pid_t server = testing::spawn({"/usr/bin/iperf3", "-s", "-1", "-p", p}, "/dev/null");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let it bind (not a timing)
  int code = 0;
  const std::string out = testing::run_capture(
      {"/usr/bin/iperf3", "-c", "127.0.0.1", "-p", p, "-t", "3", "-f", "g"}, &code);
  testing::wait_exit(server, std::chrono::seconds(5));
  const size_t at = out.rfind("Gbits/sec");
  if (code != 0 || at == std::string::npos) return 0;
  const size_t begin = out.rfind(' ', at - 2);
  return std::stod(out.substr(begin, at - begin)) / 8;  // GB/s
}

}  // namespace
}  // namespace cairn::real

int main() {
  using namespace cairn::real;
  constexpr uint64_t kBig = 2000;  // 1 MiB messages per run (about 2 GiB)
  constexpr size_t kMiB = 1 << 20;
  const double raw = raw_socket_gbps(kBig * kMiB);
  const double iperf = iperf3_gbps();
  double tcp_gbps = 0, tcp_small = 0, shm_gbps = 0, shm_small = 0;
  {
    Pair pair(false, 0);
    tcp_gbps = kBig * kMiB / pair.run(kBig, kMiB, false) / 1e9;
    tcp_small = 200000 / pair.run(200000, 64, false);
  }
  const double copy = memcpy_gbps();
  {
    Pair pair(true, 0);
    shm_gbps = kBig * kMiB / pair.run(kBig, kMiB, true) / 1e9;
    shm_small = 200000 / pair.run(200000, 64, true);
  }
  std::printf("tcp 1MiB payload: %.2f GB/s; raw socket %.2f GB/s -> ratio %.2f\n", tcp_gbps, raw,
              tcp_gbps / raw);
  if (iperf > 0) {
    std::printf("tcp 1MiB payload vs iperf3 %.2f GB/s -> ratio %.2f\n", iperf, tcp_gbps / iperf);
  } else {
    std::printf("iperf3 not installed: raw-socket baseline only\n");
  }
  std::printf("shm 1MiB payload: %.2f GB/s; memcpy 1MiB %.2f GB/s -> ratio %.2f\n", shm_gbps, copy,
              shm_gbps / copy);
  std::printf("small frames (64 B payload): tcp %.0f msg/s, shm %.0f msg/s -> shm/tcp %.2f\n",
              tcp_small, shm_small, shm_small / tcp_small);
  return 0;
}
