// Transport benchmarks: every figure is printed beside a baseline measured in this run.
// The sending node runs in this process and the receiving node in a child process (this
// binary re-run with --serve; transport_peer.h), as two cairnd processes on one host.
//   TCP 1 MiB payload throughput  vs  iperf3 (if installed; client and server processes)
//                                     and a bare loopback socket between two processes,
//                                     both moving the same bytes in 1 MiB writes; ours
//                                     with a plain payload (the sender computes its CRC)
//                                     and with a payload that carries its CRC32C, as an
//                                     erasure shard does (folded into the frame's CRC)
//   shm 1 MiB payload throughput  vs  single-thread memcpy of 1 MiB buffers (cache-hot,
//                                     the baseline), 1 MiB copies into a ring-sized
//                                     buffer (the one copy send() cannot avoid) and 1 MiB
//                                     memsets into it; ours through send() (a copy into the
//                                     ring) and with the payload written in ring space
//                                     (reserve + memset + commit: no copy)
//   small frames (64 B payload) per second over TCP and over shm  vs  a bare loopback
//                                     socket moving the same 97-byte frames, one write
//                                     per message and 64 per write
// Each measure runs --reps times, interleaved with its baseline so that a change of load
// hits both; the summary gives the median (and min/max) of each and the ratio of medians.
//
//   transport_bench [--reps N] [--mib M] [--only tcp|shm|small] [--ring-mib R] [--baselines 0]
//                   [--sockbuf-kib K] [--in-place 0] [--payload-crc 0]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "core/wire/crc32c.h"
#include "tests/bench/baselines.h"
#include "tests/bench/transport_peer.h"
#include "tests/real/process.h"

namespace cairn::real {
namespace {

using bench::iperf3_gbps;
using bench::memcpy_gbps;
using bench::memset_gbps;
using bench::Samples;
using bench::seconds_since;
using Clock = std::chrono::steady_clock;

// Node 1 in this process pumps messages to node 2 in a child process as fast as the
// bounded queues accept them, resuming when the transport's drain handler says there is room.
struct Pair {
  explicit Pair(const bench::NodeOptions& o) {
    const auto ports = testing::free_ports(2);
    sender = std::make_unique<bench::BenchNode>(1, ports[0], 2, ports[1], o);
    sender->rt().set_receiver([](NodeId, const Message&) {});
    sender->rt().start();
    receiver = std::make_unique<bench::ReceiverProcess>(ports[1], ports[0], o);
  }

  // How node 1 sends: a Message over TCP (its payload a plain string, or one that carries
  // its CRC32C as an erasure shard does), a Message over shm (copied into the ring), or
  // a payload written by the producer straight into shm ring space (reserve + commit).
  enum class Mode { kTcp, kTcpKnownCrc, kShmSend, kShmInRing };

  // Sends `count` messages of `payload` bytes from node 1; returns the seconds until
  // node 2 received the last one.
  double run(uint64_t count, size_t payload, Mode mode) {
    AsioRuntime& rt = sender->rt();
    TcpTransport& tcp = sender->tcp();
    ShmTransport* shm = sender->shm();
    Message m{0x0501, "h", Payload(std::string(payload, 'p'))};
    if (mode == Mode::kTcpKnownCrc) {  // computed once, as the encoder does for a shard
      m.payload = m.payload.with_crc32c(wire::crc32c(m.payload.data(), payload));
    }
    const bool use_shm = mode == Mode::kShmSend || mode == Mode::kShmInRing;
    if (use_shm) {  // set up the ring first: the first large message triggers the offer
      testing::wait_until(std::chrono::seconds(5), [&] {
        bool up = false;
        rt.run_sync([&] { up = shm->wants(2, m); });
        return up;
      });
    }
    receiver->expect(count);
    uint64_t sent = 0;  // loop thread of node 1 only
    auto send_one = [&]() -> absl::Status {
      if (mode != Mode::kShmInRing) return use_shm ? shm->send(2, m) : tcp.send(2, m);
      absl::StatusOr<ShmTransport::Reservation> r = shm->reserve(2, m.type, m.header, payload);
      if (!r.ok()) return r.status();
      // The producer writes its output in place: here a fill, different for each message.
      std::memset(r->payload().data(), static_cast<int>(sent & 0xFF), payload);
      return shm->commit(std::move(*r));
    };
    std::function<void()> pump = [&] {
      while (sent < count) {
        const absl::Status s = send_one();
        if (s.ok()) {
          ++sent;
          continue;
        }
        // Full: the drain handler resumes us. Anything else: try again shortly.
        if (!absl::IsResourceExhausted(s)) rt.after(std::chrono::microseconds(200), pump);
        return;
      }
    };
    rt.run_sync([&] {
      auto drained = [&](NodeId) { pump(); };
      tcp.set_drain_handler(drained);
      if (shm) shm->set_drain_handler(drained);
    });
    const auto start = Clock::now();
    rt.post(pump);
    const double t = std::chrono::duration<double>(receiver->wait_done() - start).count();
    rt.run_sync([&] {  // `pump` goes out of scope: no handler may call it any more
      tcp.set_drain_handler(nullptr);
      if (shm) shm->set_drain_handler(nullptr);
    });
    return t;
  }

  std::unique_ptr<bench::BenchNode> sender;
  std::unique_ptr<bench::ReceiverProcess> receiver;
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
  // The benchmark re-runs itself as the other process of a pair (transport_peer.h).
  if (argc > 1 && std::string(argv[1]) == "--serve") {
    return bench::serve_receiver(argc - 2, argv + 2);
  }
  if (argc > 1 && std::string(argv[1]) == "--raw-writer") {
    return bench::serve_raw_writer(argc - 2, argv + 2);
  }
  const Args args = parse(argc, argv);
  constexpr size_t kMiB = 1 << 20;
  constexpr uint64_t kSmall = 200000;
  constexpr uint64_t kSmallWire = 32 + 1 + 64;  // frame header, header "h", payload
  const uint64_t total = args.mib * kMiB;
  auto want = [&](const char* what) { return args.only.empty() || args.only == what; };
  Samples s;
  if (want("tcp")) {
    bench::NodeOptions o;
    o.ring_bytes = args.ring_mib * kMiB;
    o.socket_buffer_bytes = args.sockbuf_kib * 1024;
    Pair pair(o);
    // Not the default configuration: only to show what the payload CRC costs.
    std::unique_ptr<Pair> unchecked;
    if (!args.payload_crc) {
      o.check_payload = false;
      unchecked = std::make_unique<Pair>(o);
    }
    for (int r = 0; r < args.reps; ++r) {
      std::printf("tcp rep %d\n", r + 1);
      if (args.baselines) {
        s.add("tcp raw socket GB/s", total / bench::raw_socket_seconds(total, kMiB) / 1e9);
        s.add("tcp iperf3 -l 1M GB/s", iperf3_gbps(total));
      }
      s.add("tcp ours 1 MiB GB/s", total / pair.run(args.mib, kMiB, Pair::Mode::kTcp) / 1e9);
      s.add("tcp ours 1 MiB, CRC known GB/s",
            total / pair.run(args.mib, kMiB, Pair::Mode::kTcpKnownCrc) / 1e9);
      if (unchecked) {
        s.add("tcp ours, payload CRC off GB/s",
              total / unchecked->run(args.mib, kMiB, Pair::Mode::kTcp) / 1e9);
      }
    }
  }
  if (want("shm")) {
    bench::NodeOptions o;
    o.shm = true;
    o.ring_bytes = args.ring_mib * kMiB;
    o.in_place = args.in_place;
    Pair pair(o);
    for (int r = 0; r < args.reps; ++r) {
      std::printf("shm rep %d\n", r + 1);
      if (args.baselines) {
        s.add("shm memcpy 1 MiB hot GB/s", memcpy_gbps(total, kMiB));
        s.add("shm memcpy 1 MiB into ring GB/s", memcpy_gbps(total, args.ring_mib * kMiB));
        s.add("shm memset 1 MiB into ring GB/s", memset_gbps(total, args.ring_mib * kMiB));
      }
      s.add("shm ours send 1 MiB GB/s",
            total / pair.run(args.mib, kMiB, Pair::Mode::kShmSend) / 1e9);
      s.add("shm ours built in ring 1 MiB GB/s",
            total / pair.run(args.mib, kMiB, Pair::Mode::kShmInRing) / 1e9);
    }
  }
  if (want("small")) {
    bench::NodeOptions o;
    o.ring_bytes = args.ring_mib * kMiB;
    Pair tcp_pair(o);
    o.shm = true;
    Pair shm_pair(o);
    for (int r = 0; r < args.reps; ++r) {
      std::printf("small rep %d\n", r + 1);
      if (args.baselines) {
        // The same bytes (a 97-byte frame per message) over a bare socket: one write per
        // message (what a simple messaging layer does), and 64 per write (the most our
        // TCP link gathers into one writev: bytes moved with no per-message work at all).
        s.add("small raw socket, write per msg msg/s",
              kSmall / bench::raw_socket_seconds(kSmall * kSmallWire, kSmallWire));
        s.add("small raw socket, 64 per write msg/s",
              kSmall / bench::raw_socket_seconds(kSmall * kSmallWire, 64 * kSmallWire));
      }
      s.add("small tcp msg/s", kSmall / tcp_pair.run(kSmall, 64, Pair::Mode::kTcp));
      s.add("small shm msg/s", kSmall / shm_pair.run(kSmall, 64, Pair::Mode::kShmSend));
    }
  }
  s.print();
  std::printf("\nratios of medians:\n");
  s.ratio("tcp ours / raw socket", "tcp ours 1 MiB GB/s", "tcp raw socket GB/s");
  s.ratio("tcp ours / iperf3 (aim >= 0.8)", "tcp ours 1 MiB GB/s", "tcp iperf3 -l 1M GB/s");
  s.ratio("tcp ours, payload CRC off / iperf3", "tcp ours, payload CRC off GB/s",
          "tcp iperf3 -l 1M GB/s");
  s.ratio("tcp ours, CRC known / iperf3", "tcp ours 1 MiB, CRC known GB/s",
          "tcp iperf3 -l 1M GB/s");
  s.ratio("shm send / memcpy hot", "shm ours send 1 MiB GB/s", "shm memcpy 1 MiB hot GB/s");
  s.ratio("shm send / memcpy into ring", "shm ours send 1 MiB GB/s",
          "shm memcpy 1 MiB into ring GB/s");
  s.ratio("shm built in ring / memcpy hot", "shm ours built in ring 1 MiB GB/s",
          "shm memcpy 1 MiB hot GB/s");
  s.ratio("shm built in ring / memset into ring", "shm ours built in ring 1 MiB GB/s",
          "shm memset 1 MiB into ring GB/s");
  if (s.median("shm ours built in ring 1 MiB GB/s") > 0) {
    std::printf("%-44s %.2f\n", "shm built in ring GB/s (aim >= 17.2)",
                s.median("shm ours built in ring 1 MiB GB/s"));
  }
  s.ratio("small tcp / raw socket, write per message", "small tcp msg/s",
          "small raw socket, write per msg msg/s");
  s.ratio("small shm / raw socket, write per message", "small shm msg/s",
          "small raw socket, write per msg msg/s");
  s.ratio("small tcp / raw socket, 64 per write", "small tcp msg/s",
          "small raw socket, 64 per write msg/s");
  s.ratio("small shm / small tcp", "small shm msg/s", "small tcp msg/s");
  return 0;
}
