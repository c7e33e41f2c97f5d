#include "tests/bench/transport_peer.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime-real/host/node_host.h"
#include "runtime-real/host/spd_log.h"

namespace cairn::real::bench {
namespace {

using Clock = std::chrono::steady_clock;

tcp::endpoint loopback(uint16_t port) {
  return tcp::endpoint(asio::ip::make_address("127.0.0.1"), port);
}

void fail(const std::string& what) { throw std::runtime_error(what); }

// fork + exec of this binary with `args`; the child's stdin and stdout are pipes.
pid_t spawn_self(const std::vector<std::string>& args, int* to_child, int* from_child) {
  int in[2], out[2];
  if (::pipe(in) != 0 || ::pipe(out) != 0) fail("pipe");
  std::vector<std::string> all{"/proc/self/exe"};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) fail("fork");
  if (pid == 0) {  // only async-signal-safe calls until exec: the parent has threads
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::close(in[0]);
    ::close(in[1]);
    ::close(out[0]);
    ::close(out[1]);
    ::execv("/proc/self/exe", argv.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  *to_child = in[1];
  *from_child = out[0];
  return pid;
}

void write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w <= 0) fail("write to pipe or socket");
    p += w;
    n -= static_cast<size_t>(w);
  }
}

std::string read_line_from(int fd) {
  std::string line;
  char c;
  while (::read(fd, &c, 1) == 1) {
    if (c == '\n') return line;
    line += c;
  }
  fail("peer process ended");
  return line;
}

int64_t ns_of(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

BenchNode::BenchNode(NodeId self, uint16_t port, NodeId peer, uint16_t peer_port,
                     const NodeOptions& o)
    : dir_("/tmp/cairn-bench-" + std::to_string(::getpid()) + "-n" + std::to_string(self)) {
  rt_ =
      std::make_unique<AsioRuntime>(self, dir_, pool_, make_process_logger(LogLevel::kWarn), self);
  TcpOptions t;
  t.host_id = this_host_id();
  t.socket_buffer_bytes = o.socket_buffer_bytes;
  t.check_payload = o.check_payload;
  tcp_ = std::make_unique<TcpTransport>(*rt_, t,
                                        std::vector<PeerAddress>{{peer, loopback(peer_port)}});
  if (auto s = tcp_->listen(loopback(port)); !s.ok()) fail(s.status().ToString());
  if (o.shm) {
    ShmOptions so{o.ring_bytes, 0, 256};
    so.receive_in_place = o.in_place;
    shm_ = std::make_unique<ShmTransport>(*rt_, *tcp_, so);
  }
}

BenchNode::~BenchNode() {
  if (rt_->running()) {
    rt_->run_sync([this] {
      if (shm_) shm_->close();
      tcp_->close();
    });
  }
  if (shm_) shm_->join();
  rt_->stop();
  pool_.join();
  std::filesystem::remove_all(dir_);
}

ReceiverProcess::ReceiverProcess(uint16_t port, uint16_t peer_port, const NodeOptions& o) {
  pid_ =
      spawn_self({"--serve", std::to_string(port), std::to_string(peer_port), std::to_string(o.shm),
                  std::to_string(o.ring_bytes), std::to_string(o.socket_buffer_bytes),
                  std::to_string(o.in_place), std::to_string(o.check_payload)},
                 &to_child_, &from_child_);
  if (read_line() != "ready") fail("receiver process did not start");
}

ReceiverProcess::~ReceiverProcess() {
  ::close(to_child_);
  ::close(from_child_);
  int status = 0;
  ::waitpid(pid_, &status, 0);
}

std::string ReceiverProcess::read_line() { return read_line_from(from_child_); }

void ReceiverProcess::expect(uint64_t count) {
  const std::string line = "expect " + std::to_string(count) + "\n";
  write_all(to_child_, line.data(), line.size());
  if (read_line() != "armed") fail("receiver process did not arm");
}

Clock::time_point ReceiverProcess::wait_done() {
  const std::string line = read_line();
  if (line.rfind("done ", 0) != 0) fail("receiver process said: " + line);
  return Clock::time_point(std::chrono::nanoseconds(std::stoll(line.substr(5))));
}

int serve_receiver(int argc, char** argv) {
  if (argc < 7) return 2;
  const auto port = static_cast<uint16_t>(std::stoi(argv[0]));
  const auto peer_port = static_cast<uint16_t>(std::stoi(argv[1]));
  NodeOptions o;
  o.shm = std::string(argv[2]) == "1";
  o.ring_bytes = std::stoull(argv[3]);
  o.socket_buffer_bytes = std::stoi(argv[4]);
  o.in_place = std::string(argv[5]) == "1";
  o.check_payload = std::string(argv[6]) == "1";
  BenchNode node(2, port, 1, peer_port, o);

  std::mutex mu;
  std::condition_variable cv;
  uint64_t received = 0, expected = 0;  // under mu
  Clock::time_point done_at{};
  node.rt().set_receiver([&](NodeId, const Message&) {
    // Counted on the loop thread; the last one stamps the end (no polling in the time).
    std::lock_guard<std::mutex> lock(mu);
    if (++received == expected) {
      done_at = Clock::now();
      cv.notify_one();
    }
  });
  node.rt().start();
  // Node 1 learns from our Hello that we share the host (what ShmTransport needs).
  node.rt().run_sync([&] { (void)node.tcp().send(1, Message{1, "hi", {}}); });
  std::printf("ready\n");
  std::fflush(stdout);
  char line[64];
  while (std::fgets(line, sizeof line, stdin) != nullptr) {
    const uint64_t n = std::strtoull(line + 7, nullptr, 10);  // "expect N"
    {
      std::lock_guard<std::mutex> lock(mu);
      received = 0;
      expected = n;
    }
    std::printf("armed\n");
    std::fflush(stdout);
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return received >= expected; });
    std::printf("done %lld\n", static_cast<long long>(ns_of(done_at)));
    std::fflush(stdout);
  }
  return 0;
}

double raw_socket_seconds(uint64_t total, size_t write_bytes) {
  const int ls = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(ls, 1) != 0 ||
      ::getsockname(ls, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    fail("raw socket listen");
  }
  int to_child = -1, from_child = -1;
  const pid_t pid = spawn_self({"--raw-writer", std::to_string(ntohs(a.sin_port)),
                                std::to_string(total), std::to_string(write_bytes)},
                               &to_child, &from_child);
  const int s = ::accept(ls, nullptr, nullptr);
  ::close(ls);
  if (s < 0) fail("raw socket accept");
  std::vector<char> buf(std::max<size_t>(write_bytes, 64 << 10));
  const auto start = Clock::now();
  write_all(s, "g", 1);
  uint64_t got = 0;
  while (got < total) {
    const ssize_t n = ::read(s, buf.data(), buf.size());
    if (n <= 0) fail("raw socket read");
    got += static_cast<uint64_t>(n);
  }
  const double t = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(s);
  ::close(to_child);
  ::close(from_child);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return t;
}

int serve_raw_writer(int argc, char** argv) {
  if (argc < 3) return 2;
  const auto port = static_cast<uint16_t>(std::stoi(argv[0]));
  const uint64_t total = std::stoull(argv[1]);
  const size_t write_bytes = std::stoull(argv[2]);
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return 1;
  int one = 1;  // as our links
  ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  char go;
  if (::read(s, &go, 1) != 1) return 1;
  std::string buf(write_bytes, 'r');
  for (uint64_t done = 0; done < total;) {
    const size_t n = std::min<uint64_t>(buf.size(), total - done);
    write_all(s, buf.data(), n);
    done += n;
  }
  ::close(s);
  return 0;
}

}  // namespace cairn::real::bench
