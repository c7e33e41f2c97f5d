// Private to tcp_transport: the outbound Link to one peer and one Inbound connection.
#pragma once

#include <array>
#include <deque>
#include <memory>
#include <vector>

#include "core/wire/frame_reader.h"
#include "runtime-real/transport/tcp_transport.h"

namespace cairn::real {

// Ours to send on. Connects lazily on the first send, drops its queue and backs off
// (capped exponential) when the connection fails; during a short back-off it keeps
// queueing and retries when the back-off ends. Reads only to notice the peer closing.
class TcpTransport::Link : public std::enable_shared_from_this<Link> {
 public:
  Link(TcpTransport& t, PeerAddress peer);
  absl::Status send(Message message);
  uint64_t queued_bytes() const { return queued_bytes_; }
  // The peer connected to us: end any back-off and connect now if messages wait.
  void peer_is_back();
  void close();

 private:
  enum class State { kIdle, kConnecting, kConnected, kBackoff };
  struct Out {
    std::array<char, wire::kFrameHeaderSize> head;
    Message message;
  };

  void connect();
  void on_connected(const boost::system::error_code& ec);
  void watch_for_close();
  void write();
  void on_written(const boost::system::error_code& ec, size_t frames, uint64_t bytes);
  void fail(const absl::Status& why);
  void end_backoff();
  Message hello() const;

  TcpTransport& t_;
  PeerAddress peer_;
  tcp::socket socket_;
  asio::steady_timer backoff_timer_;
  State state_ = State::kIdle;
  std::deque<Out> queue_;
  uint64_t queued_bytes_ = 0;
  bool writing_ = false;
  bool refused_ = false;  // send() said "full" since the last drain notice
  uint32_t sequence_ = 0;
  int failures_ = 0;
  Duration backoff_{0};  // length of the current (or last) back-off
  std::vector<asio::const_buffer> gather_;
  char watch_byte_ = 0;
  uint64_t generation_ = 0;  // bumps on every (re)connect so stale handlers are ignored
};

// Theirs to send on: decodes frames, the first of which must be a Hello.
class TcpTransport::Inbound : public std::enable_shared_from_this<Inbound> {
 public:
  Inbound(TcpTransport& t, tcp::socket socket);
  void start() { read(); }
  void close();
  NodeId from() const { return from_; }
  void set_from(NodeId n) { from_ = n; }
  std::string describe() const;

 private:
  void read();
  void on_read(const boost::system::error_code& ec, size_t n);
  void refuse(const absl::Status& why);

  TcpTransport& t_;
  tcp::socket socket_;
  std::string remote_;
  // Large payloads are read straight into their frame's buffer, the rest through staging.
  wire::FrameReader reader_;
  NodeId from_ = kNoNode;
  bool closed_ = false;
};

}  // namespace cairn::real
