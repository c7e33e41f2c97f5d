#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <filesystem>
#include <future>
#include <thread>

#include "runtime-real/host/asio_runtime.h"
#include "runtime-real/host/node_host.h"
#include "runtime-real/host/posix_files.h"
#include "runtime-real/host/spd_log.h"
#include "runtime-real/shm/shm_ring.h"
#include "runtime-real/shm/shm_transport.h"
#include "runtime-real/transport/tcp_transport.h"
#include "tests/real/process.h"

namespace cairn::real {
namespace {

using namespace std::chrono_literals;

std::string temp_dir() {
  char tmpl[] = "/tmp/cairn-rt-XXXXXX";
  return ::mkdtemp(tmpl);
}

// One node without services: runtime, TCP, shm, and the messages it received.
struct TestNode {
  TestNode(NodeId id, asio::thread_pool& pool, const std::string& dir)
      : rt(id, dir + "/n" + std::to_string(id), pool, make_process_logger(LogLevel::kWarn), id) {
    std::filesystem::create_directories(rt.data_dir());
  }
  void connect(NodeId peer, uint16_t port, bool with_shm, ShmOptions shm_options) {
    TcpOptions o;
    o.host_id = this_host_id();
    tcp = std::make_unique<TcpTransport>(
        rt, o,
        std::vector<PeerAddress>{{peer, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port)}});
    if (with_shm) shm = std::make_unique<ShmTransport>(rt, *tcp, shm_options);
    rt.set_sender([this](NodeId to, Message m) {
      if (shm && shm->wants(to, m) && shm->send(to, m).ok()) return;
      (void)tcp->send(to, std::move(m));
    });
    rt.set_receiver([this](NodeId from, const Message& m) {
      absl::MutexLock lock(&mu);
      received.push_back({from, m});
    });
  }
  size_t count() {
    absl::MutexLock lock(&mu);
    return received.size();
  }
  void shutdown() {
    rt.run_sync([this] {
      if (shm) shm->close();
      tcp->close();
    });
    if (shm) shm->join();
    rt.stop();
  }
  AsioRuntime rt;
  std::unique_ptr<TcpTransport> tcp;
  std::unique_ptr<ShmTransport> shm;
  absl::Mutex mu;
  std::vector<std::pair<NodeId, Message>> received ABSL_GUARDED_BY(mu);
};

Message big_message(size_t bytes, char fill) {
  Message m;
  m.type = 0x0501;
  m.header = "hdr";
  m.payload = Payload(std::string(bytes, fill));
  return m;
}

TEST(AsioRuntime, TimersFireInOrderOnTheLoopAndCancelWorks) {
  asio::thread_pool pool(2);
  const std::string dir = temp_dir();
  AsioRuntime rt(1, dir, pool, make_process_logger(LogLevel::kWarn), 1);
  rt.start();
  std::vector<int> order;
  std::promise<void> done;
  rt.run_sync([&] {
    rt.after(20ms, [&] {
      order.push_back(3);
      done.set_value();
    });
    rt.after(0ms, [&] { order.push_back(1); });
    const TimerId gone = rt.after(5ms, [&] { order.push_back(99); });
    rt.after(10ms, [&] { order.push_back(2); });
    rt.cancel(gone);
    rt.compute(
        Cost{}, [] {}, [&] { EXPECT_TRUE(rt.on_loop_thread()); });
  });
  ASSERT_EQ(done.get_future().wait_for(5s), std::future_status::ready);
  rt.stop();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  pool.join();
  std::filesystem::remove_all(dir);
}

TEST(FileDisk, OperationsCompleteInOrderAndPersist) {
  asio::thread_pool pool(2);
  const std::string dir = temp_dir();
  AsioRuntime rt(1, dir, pool, make_process_logger(LogLevel::kWarn), 1);
  rt.start();
  std::promise<std::vector<std::string>> listed;
  std::promise<void> synced;
  std::future<void> synced_done = synced.get_future();
  std::vector<int> order;
  rt.run_sync([&] {
    Disk& d = rt.disk();
    d.write("a/tmp", "hello", [&](absl::Status s) {
      EXPECT_TRUE(s.ok()) << s;
      order.push_back(1);
    });
    d.append("a/tmp", " world", [&](absl::Status s) {
      EXPECT_TRUE(s.ok());
      order.push_back(2);
    });
    d.sync("a/tmp", [&](absl::Status s) {
      EXPECT_TRUE(s.ok());
      order.push_back(3);
    });
    d.rename("a/tmp", "a/final", [&](absl::Status s) {
      EXPECT_TRUE(s.ok());
      order.push_back(4);
    });
    d.sync_dir([&](absl::Status s) {
      EXPECT_TRUE(s.ok()) << s;
      order.push_back(5);
      synced.set_value();
    });
    d.read("a/tmp",
           [&](absl::StatusOr<std::string> r) { EXPECT_TRUE(absl::IsNotFound(r.status())); });
    d.read("../escape", [&](absl::StatusOr<std::string> r) {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    });
    d.list("a/", [&](absl::StatusOr<std::vector<std::string>> r) { listed.set_value(*r); });
  });
  ASSERT_EQ(listed.get_future().get(), std::vector<std::string>{"a/final"});
  // The list need not wait for sync_dir (it only reads), so wait for that too.
  ASSERT_EQ(synced_done.wait_for(5s), std::future_status::ready);
  rt.stop();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4, 5}));
  PosixFiles files(dir);
  EXPECT_EQ(*files.read("a/final"), "hello world");
  pool.join();
  std::filesystem::remove_all(dir);
}

TEST(TcpTransport, DeliversLargePayloadsAndRefusesBadFramesPerConnection) {
  asio::thread_pool pool(2);
  const std::string dir = temp_dir();
  const auto ports = testing::free_ports(2);
  TestNode a(1, pool, dir), b(2, pool, dir);
  a.connect(2, ports[1], false, {});
  b.connect(1, ports[0], false, {});
  ASSERT_TRUE(a.tcp->listen(tcp::endpoint(asio::ip::make_address("127.0.0.1"), ports[0])).ok());
  ASSERT_TRUE(b.tcp->listen(tcp::endpoint(asio::ip::make_address("127.0.0.1"), ports[1])).ok());
  a.rt.start();
  b.rt.start();

  // A stranger sends garbage to b: refused, that connection closed.
  asio::io_context io;
  tcp::socket stranger(io);
  stranger.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), ports[1]));
  asio::write(stranger, asio::buffer(std::string(64, 'Z')));
  char byte;
  boost::system::error_code ec;
  stranger.read_some(asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof);

  // b still serves a: three 1 MiB messages arrive intact.
  a.rt.run_sync([&] {
    for (char c : {'x', 'y', 'z'}) a.rt.send(2, big_message(1 << 20, c));
  });
  ASSERT_TRUE(testing::wait_until(10s, [&] { return b.count() == 3; }));
  {
    absl::MutexLock lock(&b.mu);
    EXPECT_EQ(b.received[0].first, 1u);
    EXPECT_EQ(b.received[2].second.payload.view(), std::string(1 << 20, 'z'));
  }
  int64_t bad = 0;
  b.rt.run_sync([&] { bad = b.rt.metrics().counter("transport_tcp_bad_frames").value(); });
  EXPECT_EQ(bad, 1);
  a.shutdown();
  b.shutdown();
  pool.join();
  std::filesystem::remove_all(dir);
}

// Nodes a (1) and b (2) on loopback with TCP and shared memory (1 MiB rings, messages of
// 4 KiB and more over shm); b's receiver keeps every message it gets.
struct ShmNodes {
  void start() {
    a.connect(2, ports[1], true, shm);
    b.connect(1, ports[0], true, shm);
    ASSERT_TRUE(a.tcp->listen(tcp::endpoint(asio::ip::make_address("127.0.0.1"), ports[0])).ok());
    ASSERT_TRUE(b.tcp->listen(tcp::endpoint(asio::ip::make_address("127.0.0.1"), ports[1])).ok());
    a.rt.start();
    b.rt.start();
    // b must have said hello to a (b's outbound link) before a knows b shares its host.
    b.rt.run_sync([&] { b.rt.send(1, big_message(10, 'h')); });
    ASSERT_TRUE(testing::wait_until(5s, [&] { return a.count() == 1; }));
  }
  int64_t counter(TestNode& n, const char* name) {
    int64_t v = 0;
    n.rt.run_sync([&] { v = n.rt.metrics().counter(name).value(); });
    return v;
  }
  void shutdown() {
    if (down) return;
    down = true;
    a.shutdown();
    b.shutdown();
    pool.join();
    std::filesystem::remove_all(dir);
  }
  ~ShmNodes() { shutdown(); }

  bool down = false;
  asio::thread_pool pool{2};
  const std::string dir = temp_dir();
  const std::vector<uint16_t> ports = testing::free_ports(2);
  const ShmOptions shm{1 << 20, 4096, 16};
  TestNode a{1, pool, dir}, b{2, pool, dir};
};

TEST(ShmTransport, LargeMessagesMoveToSharedMemoryAndLeaveNoSegment) {
  ShmNodes nodes;
  ASSERT_NO_FATAL_FAILURE(nodes.start());
  TestNode& a = nodes.a;
  TestNode& b = nodes.b;
  int64_t via_shm = 0;
  size_t sent = 0;
  // One message at a time, so the ring's offer and answer never wait behind a full queue.
  ASSERT_TRUE(testing::wait_until(
      20s,
      [&] {
        a.rt.run_sync([&] {
          a.rt.send(2, big_message(3 << 20, static_cast<char>('a' + sent % 26)));  // > ring size
          ++sent;
          via_shm = a.rt.metrics().counter("transport_shm_frames_sent").value();
        });
        testing::wait_until(5s, [&] { return b.count() == sent; });
        return via_shm >= 2;
      }))
      << "sent " << sent << ", received " << b.count() << "\n"
      << prometheus_text(1, a.rt.metrics().snapshot());
  ASSERT_TRUE(testing::wait_until(10s, [&] { return b.count() == sent; }));
  {
    absl::MutexLock lock(&b.mu);
    for (const auto& [from, m] : b.received) {
      EXPECT_EQ(m.payload.view().size(), 3u << 20);
      EXPECT_EQ(m.payload.view().back(), m.payload.view().front());
    }
  }
  nodes.shutdown();
  EXPECT_EQ(ShmRing::sweep_dead_segments(), 0);
  for (const auto& e : std::filesystem::directory_iterator("/dev/shm")) {
    EXPECT_FALSE(e.path().filename().string().starts_with("cairn-" + std::to_string(::getpid())))
        << e.path();
  }
}

// b keeps every payload, so the first ones it got in place pin the ring until the writer
// stalls: b retires the ring, a sends what it still queued over TCP, and every message
// arrives once and intact.
TEST(ShmTransport, AReceiverThatKeepsPayloadsStillGetsEveryMessage) {
  ShmNodes nodes;
  ASSERT_NO_FATAL_FAILURE(nodes.start());
  // Ring set-up first, one message at a time.
  size_t before = 0;
  ASSERT_TRUE(testing::wait_until(10s, [&] {
    nodes.a.rt.run_sync([&] { nodes.a.rt.send(2, big_message(200 << 10, 'a')); });
    ++before;
    return nodes.counter(nodes.a, "transport_shm_frames_sent") > 0;
  }));
  ASSERT_TRUE(testing::wait_until(10s, [&] { return nodes.b.count() == before; }));
  constexpr int kCount = 30;  // 6 MB through a 1 MiB ring, all kept
  nodes.a.rt.run_sync([&] {
    for (int i = 0; i < kCount; ++i) nodes.a.rt.send(2, big_message(200 << 10, char('A' + i)));
  });
  ASSERT_TRUE(testing::wait_until(20s, [&] { return nodes.b.count() >= before + kCount; }))
      << nodes.b.count() - before << " of " << kCount;
  EXPECT_GE(nodes.counter(nodes.b, "transport_shm_frames_received_in_place"), 1);
  EXPECT_EQ(nodes.counter(nodes.b, "transport_shm_rings_retired"), 1);
  {
    absl::MutexLock lock(&nodes.b.mu);
    EXPECT_EQ(nodes.b.received.size(), before + kCount);  // none twice
    std::vector<int> seen(kCount, 0);
    for (size_t i = before; i < nodes.b.received.size(); ++i) {
      const std::string_view p = nodes.b.received[i].second.payload.view();
      ASSERT_EQ(p.size(), 200u << 10);
      EXPECT_EQ(p.find_first_not_of(p.front()), std::string_view::npos);
      ++seen[p.front() - 'A'];
    }
    EXPECT_EQ(seen, std::vector<int>(kCount, 1));
  }
  nodes.shutdown();
}

// A producer writes payloads straight into ring space (reserve + commit): they arrive
// intact and in order; an abandoned reservation delivers nothing; a reservation larger
// than the ring is refused with a clear error; the ring's end is crossed on the way.
TEST(ShmTransport, PayloadsBuiltInTheRingArriveIntact) {
  ShmNodes nodes;
  ASSERT_NO_FATAL_FAILURE(nodes.start());
  TestNode& a = nodes.a;
  TestNode& b = nodes.b;
  b.rt.run_sync([&] {  // b keeps copies, so the ring goes on (held payloads would retire it)
    b.rt.set_receiver([&](NodeId from, const Message& m) {
      Message copy = m;
      copy.payload = Payload(std::string(m.payload.view()));
      absl::MutexLock lock(&b.mu);
      b.received.push_back({from, std::move(copy)});
    });
  });
  size_t before = 0;
  ASSERT_TRUE(testing::wait_until(10s, [&] {  // ring set-up first
    a.rt.run_sync([&] { a.rt.send(2, big_message(100 << 10, 's')); });
    ++before;
    return nodes.counter(a, "transport_shm_frames_sent") > 0;
  }));
  ASSERT_TRUE(testing::wait_until(10s, [&] { return nodes.b.count() == before; }));
  a.rt.run_sync([&] {
    auto dropped = a.shm->reserve(2, 0x0501, "gone", 1000);
    ASSERT_TRUE(dropped.ok()) << dropped.status();
    std::memset(dropped->payload().data(), 'X', 1000);
  });  // dropped uncommitted: abandoned
  a.rt.run_sync([&] {
    EXPECT_TRUE(absl::IsInvalidArgument(a.shm->reserve(2, 0x0501, "big", 2 << 20).status()));
  });
  constexpr int kCount = 24;  // 24 x 300 KiB through a 1 MiB ring: wraps several times
  for (int i = 0; i < kCount; ++i) {
    absl::Status committed = absl::UnavailableError("not tried");
    ASSERT_TRUE(testing::wait_until(10s, [&] {
      a.rt.run_sync([&] {
        auto r = a.shm->reserve(2, 0x0501, "built", 300 << 10);
        if (!r.ok()) {
          committed = r.status();
          return;
        }
        ASSERT_EQ(r->payload().size(), 300u << 10);
        for (size_t k = 0; k < r->payload().size(); ++k) {
          r->payload()[k] = static_cast<char>('a' + (i + k) % 26);
        }
        committed = a.shm->commit(std::move(*r));
      });
      return committed.ok() || !absl::IsResourceExhausted(committed);
    }));
    ASSERT_TRUE(committed.ok()) << committed;
  }
  ASSERT_TRUE(testing::wait_until(10s, [&] { return nodes.b.count() == before + kCount; }))
      << nodes.b.count() - before << " of " << kCount;
  {
    absl::MutexLock lock(&nodes.b.mu);
    for (int i = 0; i < kCount; ++i) {
      const Message& m = nodes.b.received[before + i].second;
      EXPECT_EQ(m.header, "built");
      const std::string_view p = m.payload.view();
      ASSERT_EQ(p.size(), 300u << 10);
      bool intact = true;
      for (size_t k = 0; k < p.size(); ++k) intact &= p[k] == static_cast<char>('a' + (i + k) % 26);
      EXPECT_TRUE(intact) << "message " << i;
    }
  }
  nodes.shutdown();
}

TEST(ShmRing, BytesArriveInOrderAcrossThreads) {
  const std::string name = ShmRing::make_name(1, 2);
  auto producer = ShmRing::create(name, 4096);
  ASSERT_TRUE(producer.ok());
  auto consumer = ShmRing::open(name);
  ASSERT_TRUE(consumer.ok());
  ShmRing::unlink(name);
  constexpr size_t kTotal = 1 << 20;
  std::thread t([&] {
    std::string chunk;
    for (size_t at = 0; at < kTotal;) {
      chunk.clear();
      for (size_t i = 0; i < 1 + at % 3000 && at + i < kTotal; ++i)
        chunk += static_cast<char>((at + i) % 251);
      size_t done = 0;
      while (done < chunk.size()) {
        const size_t n = (*producer)->write_some(chunk.data() + done, chunk.size() - done);
        if (n == 0) (*producer)->wait_for_space(50);
        done += n;
      }
      at += chunk.size();
    }
  });
  size_t got = 0;
  bool in_order = true;
  while (got < kTotal) {
    auto r = (*consumer)->readable();
    if (r.empty()) {
      (*consumer)->wait_for_data(50, (*consumer)->read_index() + 1);
      continue;
    }
    for (size_t i = 0; i < r.size(); ++i) in_order &= r[i] == static_cast<char>((got + i) % 251);
    got += r.size();
    (*consumer)->consume(r.size());
  }
  t.join();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(got, kTotal);
}

}  // namespace
}  // namespace cairn::real
