// ClientPort: how clients that are not cluster members (the `cairn` CLI, tests, load
// generators) reach a node's services: frames over TCP on the node's `client` port.
//
// Protocol: the node speaks first, one Hello frame (runtime-real/transport/transport.proto, type
// kTransportHello) naming itself, so a client can map "node n2" in a redirect to an
// address. Then the client sends request frames (core/wire/frame.h) of the accepted types
// (for the meta role: kKvRequest, kAdminRequest) and the node answers on the same
// connection, in any order; answers echo the request's request_id. Requests may be
// pipelined.
//
// Promises: each connection is given its own NodeId (kFirstClientId and up, not reused
// while the node runs unless 2^28 connections came and went), and requests reach the node
// as if sent by that id, so a service answers with Runtime::send(id, ...) and the host
// routes the answer here (send()). A frame of another type, a bad frame or a client that
// lets more than queue_bytes_max of answers pile up closes that connection only. At most
// max_connections connections at once; more are refused at accept. Loop thread only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "absl/status/statusor.h"
#include "core/runtime/message.h"
#include "core/runtime/metrics.h"
#include "runtime-real/host/asio.h"
#include "runtime-real/host/config.h"

namespace cairn::real {

class AsioRuntime;

struct ClientPortOptions {
  size_t max_connections = 1024;
  uint64_t queue_bytes_max = 16ull << 20;  // answers queued per connection
  uint64_t max_payload_bytes = 1u << 20;   // bulk bytes of one request frame
  std::set<MessageType> accepted;          // request types clients may send
};

class ClientPort {
 public:
  ClientPort(AsioRuntime& rt, ClientPortOptions options);
  ~ClientPort();

  // Binds and starts accepting; returns the bound port (useful with port 0).
  absl::StatusOr<uint16_t> listen(const tcp::endpoint& at);
  static bool owns(NodeId id) { return id >= kFirstClientId; }
  // Queues `message` for client `to`. NotFound: that client is gone (the answer is dropped).
  absl::Status send(NodeId to, const Message& message);
  size_t connections() const { return conns_.size(); }
  void close();

 private:
  class Conn;
  friend class Conn;

  void accept();
  NodeId next_id();
  void on_closed(NodeId id);

  AsioRuntime& rt_;
  ClientPortOptions options_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::map<NodeId, std::shared_ptr<Conn>> conns_;
  NodeId last_id_ = kFirstClientId - 1;
  bool closed_ = false;

  struct Counters {
    Counter* accepted;
    Counter* refused;
    Counter* requests;
    Counter* answers;
    Counter* dropped;
    Counter* bad_frames;
  } counters_;
};

}  // namespace cairn::real
