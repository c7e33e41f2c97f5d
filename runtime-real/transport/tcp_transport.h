// Frames over TCP between nodes: one outbound connection per peer (ours to send on), and
// whatever inbound connections peers open to us (theirs to send on).
//
// Promises: frames are written with scatter-gather I/O (32-byte header, protobuf header
// and the shared payload bytes go to the kernel as they are, no copy); each peer's send
// queue is bounded in frames and bytes, and send() refuses (ResourceExhausted) when full
// so that producers can back off until the drain handler says there is room; a peer that
// cannot be reached is retried with capped exponential backoff. Messages sent during a
// back-off of at most hold_backoff_max wait for the retry (and are dropped if it fails);
// during a longer one they are dropped at once (the Runtime's send is fire-and-forget). A
// peer that comes back is reachable again at once: a Hello from it (it connected to us)
// ends our back-off towards it. A bad inbound frame (magic,
// version, flags, length, CRC) is refused with a logged reason and closes only that
// connection. All methods run on the node's loop thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/runtime/metrics.h"
#include "core/runtime/time.h"
#include "core/wire/frame.h"
#include "runtime-real/host/asio.h"

namespace cairn::real {

class AsioRuntime;

struct PeerAddress {
  NodeId node = kNoNode;
  tcp::endpoint endpoint;
};

struct TcpOptions {
  size_t queue_frames_max = 4096;
  uint64_t queue_bytes_max = 64ull << 20;
  Duration backoff_min = std::chrono::milliseconds(20);
  Duration backoff_max = std::chrono::seconds(2);
  // Back-offs up to this long hold messages for the retry instead of dropping them.
  Duration hold_backoff_max = std::chrono::milliseconds(250);
  size_t gather_frames_max = 64;  // frames per write call
  // SO_SNDBUF (outbound links) and SO_RCVBUF (accepted connections); 0 keeps the
  // kernel's autotuning, which the transport benchmark found as fast on loopback.
  int socket_buffer_bytes = 0;
  // false: outbound frames carry kFlagPayloadUnchecked (header and protobuf header are
  // still checked). Only for payloads that carry their own checksum end to end; the
  // default keeps every byte of a TCP frame under the CRC.
  bool check_payload = true;
  wire::FrameLimits limits;
  std::string host_id;  // sent in Hello (same_host detection)
};

class TcpTransport {
 public:
  // Transport control frames (0xFFxx other than Hello) go here instead of the node.
  using ControlHandler = std::function<void(NodeId from, const Message&)>;
  // Called when a peer's queue has room again after send() refused.
  using DrainHandler = std::function<void(NodeId to)>;
  // Called when a Hello arrives: the peer's host id and pid.
  using HelloHandler = std::function<void(NodeId from, const std::string& host_id, uint64_t pid)>;

  TcpTransport(AsioRuntime& rt, TcpOptions options, std::vector<PeerAddress> peers);
  ~TcpTransport();

  // Binds and starts accepting; returns the bound port (useful with port 0).
  absl::StatusOr<uint16_t> listen(const tcp::endpoint& at);
  // Queues `message` for `to`. Unavailable: unknown or unreachable peer (backing off);
  // ResourceExhausted: queue full; InvalidArgument: not frameable. Dropped unless OK.
  absl::Status send(NodeId to, Message message);
  uint64_t queued_bytes(NodeId to) const;
  void close();

  void set_control_handler(ControlHandler h) { control_ = std::move(h); }
  void set_drain_handler(DrainHandler h) { drain_ = std::move(h); }
  void set_hello_handler(HelloHandler h) { hello_ = std::move(h); }

 private:
  class Link;
  class Inbound;
  friend class Link;
  friend class Inbound;

  void accept();
  void on_frame(Inbound& conn, wire::Frame frame);
  void on_inbound_closed(Inbound* conn);

  AsioRuntime& rt_;
  TcpOptions options_;
  std::map<NodeId, std::shared_ptr<Link>> links_;
  std::set<std::shared_ptr<Inbound>> inbound_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  ControlHandler control_;
  DrainHandler drain_;
  HelloHandler hello_;
  bool closed_ = false;

  struct Counters {
    Counter* frames_sent;
    Counter* bytes_sent;
    Counter* frames_received;
    Counter* bytes_received;
    Counter* bad_frames;
    Counter* dropped_queue_full;
    Counter* dropped_unreachable;
    Counter* connects;
    Counter* connect_failures;
    Counter* backoffs_ended_by_hello;
  } counters_;
};

}  // namespace cairn::real
