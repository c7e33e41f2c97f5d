// The transport benchmark's two processes: the sending node runs in the benchmark itself,
// the receiving node in a child process (the benchmark binary re-run with --serve), as
// two cairnd processes on one host would be and as iperf3's client and server are.
//
// The child speaks over its stdin/stdout, one line each: the parent writes "expect N"; the
// child answers "armed" and, once its node received N messages, "done T", T being
// steady_clock's nanoseconds when the last one arrived (CLOCK_MONOTONIC: one clock for
// every process of the host), so the parent times a run from its first send to the
// receiver's last delivery. The child exits when its stdin closes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "runtime-real/host/asio_runtime.h"
#include "runtime-real/shm/shm_transport.h"
#include "runtime-real/transport/tcp_transport.h"

namespace cairn::real::bench {

struct NodeOptions {
  bool shm = false;
  uint64_t ring_bytes = 8 << 20;
  int socket_buffer_bytes = 0;  // 0: the kernel's autotuning (the default)
  bool in_place = true;         // shm reader delivers large payloads in place
  bool check_payload = true;    // TCP frames put the payload under the CRC (the default)
};

// One node (AsioRuntime + TcpTransport, + ShmTransport when asked) listening on
// 127.0.0.1:`port`, whose only peer is node `peer` on 127.0.0.1:`peer_port`.
class BenchNode {
 public:
  BenchNode(NodeId self, uint16_t port, NodeId peer, uint16_t peer_port, const NodeOptions& o);
  ~BenchNode();
  AsioRuntime& rt() { return *rt_; }
  TcpTransport& tcp() { return *tcp_; }
  ShmTransport* shm() { return shm_.get(); }

 private:
  std::string dir_;
  asio::thread_pool pool_{1};
  std::unique_ptr<AsioRuntime> rt_;
  std::unique_ptr<TcpTransport> tcp_;
  std::unique_ptr<ShmTransport> shm_;
};

// The receiving node, in a child process. Its node is 2 and sends node 1 (at
// `peer_port`, which must be listening) a hello, so node 1 learns that they share the host.
class ReceiverProcess {
 public:
  ReceiverProcess(uint16_t port, uint16_t peer_port, const NodeOptions& o);
  ~ReceiverProcess();  // closes the child's stdin and waits for it
  // Tells the child to expect `count` messages; returns once it is ready to count them.
  void expect(uint64_t count);
  // Waits for the child's count to be reached; the time the last message arrived.
  std::chrono::steady_clock::time_point wait_done();

 private:
  std::string read_line();

  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
};

// The child's side: `argv` as written by ReceiverProcess (after "--serve"). Exit code.
int serve_receiver(int argc, char** argv);

// A bare loopback socket between two processes: a child (the benchmark re-run with
// --raw-writer) writes `total` bytes in writes of `write_bytes`; this process reads them into
// a buffer of max(write_bytes, 64 KiB) and returns its seconds from the go byte it sends the
// writer to the last byte read.
double raw_socket_seconds(uint64_t total, size_t write_bytes);
int serve_raw_writer(int argc, char** argv);

}  // namespace cairn::real::bench
