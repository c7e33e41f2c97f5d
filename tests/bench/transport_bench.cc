// Transport benchmarks: every figure is printed beside a baseline measured in this run.
//   TCP 1 MiB payload throughput  vs  a raw loopback socket and iperf3 (if installed),
//                                     both moving the same bytes in 1 MiB writes
//   shm 1 MiB payload throughput  vs  single-thread memcpy of 1 MiB buffers (cache-hot,
//                                     the baseline) and 1 MiB copies into a
//                                     ring-sized buffer (the one copy a ring cannot avoid)
//   small frames (64 B payload) per second over TCP and over shm  vs  a raw loopback
//                                     socket moving the same 97-byte frames, one write
//                                     per message and 64 per write
// Each measure runs --reps times, interleaved with its baseline so that a change of load
// hits both; the summary gives the median (and min/max) of each and the ratio of medians.
//
//   transport_bench [--reps N] [--mib M] [--only tcp|shm|small] [--ring-mib R] [--baselines 0]
//                   [--sockbuf-kib K] [--in-place 0] [--payload-crc 0]
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "runtime-real/host/asio_runtime.h"
#include "runtime-real/host/node_host.h"
#include "runtime-real/shm/shm_transport.h"
#include "runtime-real/host/spd_log.h"
#include "runtime-real/transport/tcp_transport.h"
#include "tests/real/process.h"

namespace cairn::real {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Two nodes in this process; node 1 pumps messages to node 2 as fast as the bounded
// queues accept them, resuming when the transport's drain handler says there is room.
struct Pair {
  Pair(bool shm, uint64_t threshold, uint64_t ring_bytes, int socket_buffer_bytes = 0,
       bool in_place = true, bool check_payload = true) {
    const auto ports = testing::free_ports(2);
    dir = "/tmp/cairn-bench-" + std::to_string(::getpid());
    for (int i = 0; i < 2; ++i) {
      const NodeId id = static_cast<NodeId>(i + 1);
      rt[i] = std::make_unique<AsioRuntime>(id, dir + "/n" + std::to_string(id), pool,
                                            make_process_logger(LogLevel::kWarn), id);
      TcpOptions o;
      o.host_id = this_host_id();
      o.socket_buffer_bytes = socket_buffer_bytes;
      o.check_payload = check_payload;
      const uint16_t peer_port = ports[1 - i];
      tcp[i] = std::make_unique<TcpTransport>(
          *rt[i], o,
          std::vector<PeerAddress>{
              {static_cast<NodeId>(2 - i),
               tcp::endpoint(asio::ip::make_address("127.0.0.1"), peer_port)}});
      (void)tcp[i]->listen(tcp::endpoint(asio::ip::make_address("127.0.0.1"), ports[i]));
      if (shm) {
        ShmOptions so{ring_bytes, threshold, 256};
        so.receive_in_place = in_place;
        shm_[i] = std::make_unique<ShmTransport>(*rt[i], *tcp[i], so);
      }
    }
    rt[1]->set_receiver([this](NodeId, const Message& m) {
      received_bytes.fetch_add(m.payload.size());
      // The last message stamps the end, so the polling below adds nothing to the time.
      if (received.fetch_add(1) + 1 == expected.load()) done_at = Clock::now();
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

  // Sends `count` messages of `payload` bytes from node 1, over shm when `use_shm`;
  // returns the seconds until node 2 received the last one.
  double run(uint64_t count, size_t payload, bool use_shm) {
    const Message m{0x0501, "h", Payload(std::string(payload, 'p'))};
    received = 0;
    received_bytes = 0;
    expected = count;
    if (use_shm) {  // set up the ring first: the first large message triggers the offer
      testing::wait_until(std::chrono::seconds(5), [&] {
        bool up = false;
        rt[0]->run_sync([&] { up = shm_[0]->wants(2, m); });
        return up;
      });
    }
    uint64_t sent = 0;  // loop thread of node 1 only
    std::function<void()> pump = [&, use_shm] {
      while (sent < count) {
        const absl::Status s = use_shm ? shm_[0]->send(2, m) : tcp[0]->send(2, m);
        if (s.ok()) {
          ++sent;
          continue;
        }
        // Full: the drain handler resumes us. Anything else: try again shortly.
        if (!absl::IsResourceExhausted(s)) rt[0]->after(std::chrono::microseconds(200), pump);
        return;
      }
    };
    rt[0]->run_sync([&] {
      auto drained = [&](NodeId) { pump(); };
      tcp[0]->set_drain_handler(drained);
      if (shm_[0]) shm_[0]->set_drain_handler(drained);
    });
    const auto start = Clock::now();
    rt[0]->post(pump);
    testing::wait_until(std::chrono::seconds(120), [&] { return received.load() >= count; });
    const double t = std::chrono::duration<double>(done_at.load() - start).count();
    rt[0]->run_sync([&] {  // `pump` goes out of scope: no handler may call it any more
      tcp[0]->set_drain_handler(nullptr);
      if (shm_[0]) shm_[0]->set_drain_handler(nullptr);
    });
    return t;
  }

  std::string dir;
  asio::thread_pool pool{2};
  std::unique_ptr<AsioRuntime> rt[2];
  std::unique_ptr<TcpTransport> tcp[2];
  std::unique_ptr<ShmTransport> shm_[2];
  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> received_bytes{0};
  std::atomic<uint64_t> expected{0};
  std::atomic<Clock::time_point> done_at{};
};

// Raw loopback socket: one thread writes `total` bytes in writes of `write_bytes`, one
// reads them into a buffer of max(write_bytes, 64 KiB); returns the reader's seconds.
double raw_socket_seconds(uint64_t total, size_t write_bytes) {
  const uint16_t port = testing::free_ports(1)[0];
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  std::thread writer([&] {
    asio::io_context wio;
    tcp::socket s(wio);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    s.set_option(tcp::no_delay(true));  // as ours
    std::string buf(write_bytes, 'r');
    for (uint64_t done = 0; done < total; done += buf.size()) {
      asio::write(s, asio::buffer(buf.data(), std::min<uint64_t>(buf.size(), total - done)));
    }
  });
  tcp::socket r = acceptor.accept();
  std::vector<char> buf(std::max<size_t>(write_bytes, 64 << 10));
  const auto start = Clock::now();
  uint64_t got = 0;
  while (got < total) got += r.read_some(asio::buffer(buf));
  const double t = seconds_since(start);
  writer.join();
  return t;
}

// Copies `total` bytes in 1 MiB memcpy calls from one 1 MiB source into `dst_bytes` of
// destination taken 1 MiB at a time in turn (1 MiB: both stay in cache).
double memcpy_gbps(uint64_t total, size_t dst_bytes) {
  constexpr size_t kMiB = 1 << 20;
  std::string src(kMiB, 'm'), dst(dst_bytes, 0);
  const uint64_t rounds = total / kMiB;
  const auto start = Clock::now();
  for (uint64_t i = 0; i < rounds; ++i) {
    src[i % src.size()] = static_cast<char>(i);
    std::memcpy(dst.data() + (i * kMiB) % dst_bytes, src.data(), kMiB);
    asm volatile("" : : "r"(dst.data()) : "memory");
  }
  return double(rounds) * kMiB / seconds_since(start) / 1e9;
}

// iperf3, one stream over loopback, `total` bytes in 1 MiB writes (the same bytes and
// write size as ours). 0 if iperf3 is not installed or failed.
double iperf3_gbps(uint64_t total) {
  if (std::system("command -v iperf3 > /dev/null 2>&1") != 0) return 0;
  const uint16_t port = testing::free_ports(1)[0];
  const std::string p = std::to_string(port);
  const pid_t server = testing::spawn({"/usr/bin/iperf3", "-s", "-1", "-p", p}, "/dev/null");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let it bind (not a timing)
  int code = 0;
  const std::string out = testing::run_capture({"/usr/bin/iperf3", "-c", "127.0.0.1", "-p", p, "-n",
                                                std::to_string(total), "-l", "1M", "-f", "g"},
                                               &code);
  testing::wait_exit(server, std::chrono::seconds(5));
  const size_t at = out.rfind("Gbits/sec");  // the receiver's line comes last
  if (code != 0 || at == std::string::npos) return 0;
  const size_t begin = out.rfind(' ', at - 2);
  return std::stod(out.substr(begin, at - begin)) / 8;  // GB/s
}

// Every sample of every measure, printed as a median (min..max) table at the end.
struct Samples {
  std::map<std::string, std::vector<double>> by_name;
  void add(const std::string& name, double v) {
    by_name[name].push_back(v);
    std::printf("  %-34s %10.3f\n", name.c_str(), v);
    std::fflush(stdout);
  }
  double median(const std::string& name) const {
    auto it = by_name.find(name);
    if (it == by_name.end() || it->second.empty()) return 0;
    std::vector<double> v = it->second;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  }
  void print() const {
    std::printf("\n%-34s %10s %10s %10s  (n)\n", "measure", "median", "min", "max");
    for (const auto& [name, v] : by_name) {
      std::printf("%-34s %10.3f %10.3f %10.3f  (%zu)\n", name.c_str(), median(name),
                  *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end()),
                  v.size());
    }
  }
  void ratio(const char* what, const std::string& ours, const std::string& base) const {
    if (median(base) <= 0 || median(ours) <= 0) return;
    std::printf("%-44s %.2f\n", what, median(ours) / median(base));
  }
};

struct Args {
  int reps = 5;
  uint64_t mib = 2000;  // 1 MiB messages per throughput run
  std::string only;
  uint64_t ring_mib = 8;
  bool baselines = true;    // --baselines 0: ours only (for profiling)
  int sockbuf_kib = 0;      // --sockbuf-kib K: SO_SNDBUF/SO_RCVBUF (0: kernel autotuning)
  bool in_place = true;     // --in-place 0: the shm reader copies every payload out
  bool payload_crc = true;  // --payload-crc 0: adds a TCP measure without the payload CRC
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--reps") a.reps = std::stoi(v);
    if (k == "--mib") a.mib = std::stoull(v);
    if (k == "--only") a.only = v;
    if (k == "--ring-mib") a.ring_mib = std::stoull(v);
    if (k == "--baselines") a.baselines = v != "0";
    if (k == "--sockbuf-kib") a.sockbuf_kib = std::stoi(v);
    if (k == "--in-place") a.in_place = v != "0";
    if (k == "--payload-crc") a.payload_crc = v != "0";
  }
  return a;
}

}  // namespace
}  // namespace cairn::real

int main(int argc, char** argv) {
  using namespace cairn::real;
  const Args args = parse(argc, argv);
  constexpr size_t kMiB = 1 << 20;
  constexpr uint64_t kSmall = 200000;
  constexpr uint64_t kSmallWire = 32 + 1 + 64;  // frame header, header "h", payload
  const uint64_t total = args.mib * kMiB;
  auto want = [&](const char* what) { return args.only.empty() || args.only == what; };
  Samples s;
  if (want("tcp")) {
    Pair pair(false, 0, args.ring_mib * kMiB, args.sockbuf_kib * 1024);
    // Not the default configuration: only to show what the payload CRC costs.
    std::unique_ptr<Pair> unchecked;
    if (!args.payload_crc) {
      unchecked = std::make_unique<Pair>(false, 0, args.ring_mib * kMiB, args.sockbuf_kib * 1024,
                                         true, false);
    }
    for (int r = 0; r < args.reps; ++r) {
      std::printf("tcp rep %d\n", r + 1);
      if (args.baselines) {
        s.add("tcp raw socket GB/s", total / raw_socket_seconds(total, kMiB) / 1e9);
        s.add("tcp iperf3 -l 1M GB/s", iperf3_gbps(total));
      }
      s.add("tcp ours 1 MiB GB/s", total / pair.run(args.mib, kMiB, false) / 1e9);
      if (unchecked) {
        s.add("tcp ours, payload CRC off GB/s",
              total / unchecked->run(args.mib, kMiB, false) / 1e9);
      }
    }
  }
  if (want("shm")) {
    Pair pair(true, 0, args.ring_mib * kMiB, 0, args.in_place);
    for (int r = 0; r < args.reps; ++r) {
      std::printf("shm rep %d\n", r + 1);
      if (args.baselines) {
        s.add("shm memcpy 1 MiB hot GB/s", memcpy_gbps(total, kMiB));
        s.add("shm memcpy 1 MiB into ring GB/s", memcpy_gbps(total, args.ring_mib * kMiB));
      }
      s.add("shm ours 1 MiB GB/s", total / pair.run(args.mib, kMiB, true) / 1e9);
    }
  }
  if (want("small")) {
    Pair tcp_pair(false, 0, args.ring_mib * kMiB);
    Pair shm_pair(true, 0, args.ring_mib * kMiB);
    for (int r = 0; r < args.reps; ++r) {
      std::printf("small rep %d\n", r + 1);
      if (args.baselines) {
        // The same bytes (a 97-byte frame per message) over a bare socket: one write per
        // message (what a simple messaging layer does), and 64 per write (the most our
        // TCP link gathers into one writev: bytes moved with no per-message work at all).
        s.add("small raw socket, write per msg msg/s",
              kSmall / raw_socket_seconds(kSmall * kSmallWire, kSmallWire));
        s.add("small raw socket, 64 per write msg/s",
              kSmall / raw_socket_seconds(kSmall * kSmallWire, 64 * kSmallWire));
      }
      s.add("small tcp msg/s", kSmall / tcp_pair.run(kSmall, 64, false));
      s.add("small shm msg/s", kSmall / shm_pair.run(kSmall, 64, true));
    }
  }
  s.print();
  std::printf("\nratios of medians:\n");
  s.ratio("tcp ours / raw socket", "tcp ours 1 MiB GB/s", "tcp raw socket GB/s");
  s.ratio("tcp ours / iperf3 (aim >= 0.8)", "tcp ours 1 MiB GB/s", "tcp iperf3 -l 1M GB/s");
  s.ratio("tcp ours, payload CRC off / iperf3", "tcp ours, payload CRC off GB/s",
          "tcp iperf3 -l 1M GB/s");
  s.ratio("shm ours / memcpy hot (aim >= 0.5)", "shm ours 1 MiB GB/s", "shm memcpy 1 MiB hot GB/s");
  s.ratio("shm ours / memcpy into ring", "shm ours 1 MiB GB/s", "shm memcpy 1 MiB into ring GB/s");
  s.ratio("small tcp / raw socket, write per message", "small tcp msg/s",
          "small raw socket, write per msg msg/s");
  s.ratio("small shm / raw socket, write per message", "small shm msg/s",
          "small raw socket, write per msg msg/s");
  s.ratio("small tcp / raw socket, 64 per write", "small tcp msg/s",
          "small raw socket, 64 per write msg/s");
  s.ratio("small shm / small tcp", "small shm msg/s", "small tcp msg/s");
  return 0;
}
