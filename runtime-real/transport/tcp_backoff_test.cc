// The TCP transport towards a peer that was unreachable (issue 15): a Hello from the peer
// ends our back-off at once, and a short back-off holds messages for the retry instead of
// dropping them. Back-offs are made long (a minute) wherever the test needs "not before
// the back-off ends", so the verdicts never depend on how fast the machine is.
#include <gtest/gtest.h>

#include <filesystem>

#include "absl/synchronization/mutex.h"
#include "runtime-real/host/asio_runtime.h"
#include "runtime-real/host/node_host.h"
#include "runtime-real/host/spd_log.h"
#include "runtime-real/transport/tcp_transport.h"
#include "tests/real/process.h"

namespace cairn::real {
namespace {

using namespace std::chrono_literals;

// A node with a TCP transport to one peer; counts what it receives.
struct Peer {
  Peer(NodeId id, NodeId other, uint16_t other_port, TcpOptions o, asio::thread_pool& pool,
       const std::string& dir)
      : rt(id, dir + "/n" + std::to_string(id), pool, make_process_logger(LogLevel::kWarn), id) {
    std::filesystem::create_directories(rt.data_dir());
    tcp = std::make_unique<TcpTransport>(
        rt, o,
        std::vector<PeerAddress>{
            {other, tcp::endpoint(asio::ip::make_address("127.0.0.1"), other_port)}});
    rt.set_sender([this](NodeId to, Message m) { last_send = tcp->send(to, std::move(m)); });
    rt.set_receiver([this](NodeId, const Message&) {
      absl::MutexLock lock(&mu);
      ++received;
    });
  }
  bool listen(uint16_t port) {
    return tcp->listen(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port)).ok();
  }
  absl::Status send(NodeId to) {
    absl::Status s;
    rt.run_sync([&] {
      rt.send(to, Message{.type = 0x0501, .header = "beat"});
      s = last_send;
    });
    return s;
  }
  int64_t counter(const char* name) {
    int64_t v = 0;
    rt.run_sync([&] { v = rt.metrics().counter(name).value(); });
    return v;
  }
  int count() {
    absl::MutexLock lock(&mu);
    return received;
  }
  void shutdown() {
    rt.run_sync([this] { tcp->close(); });
    rt.stop();
  }

  AsioRuntime rt;
  std::unique_ptr<TcpTransport> tcp;
  absl::Status last_send;  // on the loop thread only
  absl::Mutex mu;
  int received ABSL_GUARDED_BY(mu) = 0;
};

TEST(TcpBackoff, AHelloFromThePeerEndsTheBackoffAtOnce) {
  asio::thread_pool pool(2);
  char tmpl[] = "/tmp/cairn-backoff-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  const auto ports = testing::free_ports(2);
  TcpOptions slow;  // a failed connect backs off for a minute, longer than any wait below
  slow.backoff_min = slow.backoff_max = 60s;
  Peer a(1, 2, ports[1], slow, pool, dir);
  Peer b(2, 1, ports[0], TcpOptions{}, pool, dir);
  ASSERT_TRUE(a.listen(ports[0]));
  a.rt.start();
  b.rt.start();

  // b is not listening yet: a's connect is refused and its link backs off.
  EXPECT_TRUE(a.send(2).ok());
  ASSERT_TRUE(
      testing::wait_until(10s, [&] { return a.counter("transport_tcp_connect_failures") == 1; }));
  EXPECT_EQ(a.send(2).code(), absl::StatusCode::kUnavailable);  // dropped: a long back-off

  // b comes up and speaks to a: a may reach b again without waiting out the minute.
  ASSERT_TRUE(b.listen(ports[1]));
  EXPECT_TRUE(b.send(1).ok());
  ASSERT_TRUE(testing::wait_until(10s, [&] { return a.count() == 1; }));
  ASSERT_TRUE(testing::wait_until(
      10s, [&] { return a.counter("transport_tcp_backoffs_ended_by_hello") == 1; }));
  EXPECT_TRUE(a.send(2).ok());
  EXPECT_TRUE(testing::wait_until(10s, [&] { return b.count() == 1; }));
  EXPECT_EQ(a.counter("transport_tcp_dropped_unreachable"), 2);  // the first and the refused

  a.shutdown();
  b.shutdown();
  pool.join();
  std::filesystem::remove_all(dir);
}

TEST(TcpBackoff, AShortBackoffHoldsMessagesForTheRetry) {
  asio::thread_pool pool(2);
  char tmpl[] = "/tmp/cairn-backoff-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  const auto ports = testing::free_ports(2);
  TcpOptions o;  // every back-off is short: messages wait for the retry
  o.backoff_min = o.backoff_max = 100ms;
  o.hold_backoff_max = 1s;
  Peer a(1, 2, ports[1], o, pool, dir);
  Peer b(2, 1, ports[0], TcpOptions{}, pool, dir);
  a.rt.start();
  b.rt.start();

  EXPECT_TRUE(a.send(2).ok());  // connect refused: this one is lost
  ASSERT_TRUE(
      testing::wait_until(10s, [&] { return a.counter("transport_tcp_connect_failures") >= 1; }));
  // b listens but never sends, so only a retry can reach it. Whatever a sends now waits
  // in the queue (OK, not Unavailable) and arrives once a retry connects.
  ASSERT_TRUE(b.listen(ports[1]));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(a.send(2).ok());
  EXPECT_TRUE(testing::wait_until(10s, [&] { return b.count() == 3; }));
  EXPECT_EQ(a.counter("transport_tcp_dropped_unreachable"), 1);
  EXPECT_EQ(a.counter("transport_tcp_backoffs_ended_by_hello"), 0);

  a.shutdown();
  b.shutdown();
  pool.join();
  std::filesystem::remove_all(dir);
}

TEST(TcpBackoff, NodesGiveUnheardPeersTheLongestBackoffByDefault) {
  // A restarted node's watched peers may be backing off for up to backoff_max + 25 %.
  const TcpOptions tcp;
  EXPECT_GE(NodeConfig{}.membership().first_contact_grace, tcp.backoff_max * 5 / 4);
  // A membership section that does not name first_contact keeps the real node's default.
  auto other =
      parse_node_config("node: 1\ndata_dir: /tmp/x\nmembership: {monitors: 2}\n", "n1.yaml");
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(other->membership().first_contact_grace, kFirstContactGrace);
  auto c =
      parse_node_config("node: 1\ndata_dir: /tmp/x\nmembership: {first_contact: 0s}\n", "n1.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->membership().first_contact_grace, Duration(0));
  auto bad =
      parse_node_config("node: 1\ndata_dir: /tmp/x\nmembership: {first_contact: -1s}\n", "n1.yaml");
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace cairn::real
