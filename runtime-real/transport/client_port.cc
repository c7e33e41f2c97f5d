#include "runtime-real/transport/client_port.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <deque>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/wire/frame.h"
#include "core/wire/frame_reader.h"
#include "runtime-real/host/asio_runtime.h"
#include "runtime-real/transport/frame_queue.h"
#include "runtime-real/transport/transport.pb.h"
#include "runtime-real/transport/transport_types.h"

namespace cairn::real {

// One client connection: decodes requests, writes queued answers with gather I/O. An
// answer's payload is written from where it lies (the queue holds the Payload, sharing its
// owner), never copied into a frame: a copy of a 4 MiB or 64 MiB chunk into a fresh buffer
// costs a page fault per 4 KiB page on this path.
class ClientPort::Conn : public std::enable_shared_from_this<Conn> {
 public:
  Conn(ClientPort& port, NodeId id, tcp::socket socket)
      : port_(port),
        id_(id),
        socket_(std::move(socket)),
        reader_(wire::FrameLimits{
            wire::FrameLimits{}.max_header_bytes,
            static_cast<uint32_t>(std::min<uint64_t>(port.options_.max_payload_bytes,
                                                     wire::FrameLimits{}.max_payload_bytes))}) {}

  void start() {
    Hello hello;
    hello.set_node(port_.rt_.self());
    hello.set_pid(static_cast<uint64_t>(::getpid()));
    send(Message{.type = kTransportHello, .header = hello.SerializeAsString()});
    read();
  }

  void send(const Message& m) {
    if (closed_) return;
    if (out_.bytes() + m.wire_size() > port_.options_.queue_bytes_max) {
      return close("the client does not read its answers");
    }
    out_.push(m, wire::FrameMeta{seq_++, static_cast<uint64_t>(to_seconds(port_.rt_.now()) * 1e6)});
    write();
  }

  void close(const std::string& why) {
    if (closed_) return;
    closed_ = true;
    port_.rt_.logger().debug("n{} client c{} closed: {}", port_.rt_.self(), id_ - kFirstClientId,
                             why);
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    port_.on_closed(id_);
  }

 private:
  void read() {
    const std::span<char> into = reader_.next();
    socket_.async_read_some(asio::buffer(into.data(), into.size()),
                            [self = shared_from_this()](const boost::system::error_code& ec,
                                                        size_t n) { self->on_read(ec, n); });
  }

  void on_read(const boost::system::error_code& ec, size_t n) {
    if (closed_) return;
    if (ec) return close(ec == asio::error::eof ? "goodbye" : ec.message());
    std::vector<wire::Frame> frames;
    const absl::Status s = reader_.landed(n, &frames);
    for (wire::Frame& f : frames) {
      if (closed_) return;
      if (!port_.options_.accepted.contains(f.message.type)) {
        port_.counters_.bad_frames->add();
        return close(absl::StrCat("message type ", f.message.type, " is not a client request"));
      }
      port_.counters_.requests->add();
      port_.rt_.deliver(id_, f.message);
    }
    if (closed_) return;
    if (!s.ok()) {
      port_.counters_.bad_frames->add();
      return close(s.ToString());
    }
    read();
  }

  void write() {
    if (out_.writing() || out_.empty() || closed_) return;
    asio::async_write(socket_, out_.start_write(), TransferAllUncapped{},
                      [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                        self->on_written(ec);
                      });
  }

  void on_written(const boost::system::error_code& ec) {
    if (closed_) return;
    if (ec) return close(ec.message());
    out_.written();
    write();
  }

  ClientPort& port_;
  const NodeId id_;
  tcp::socket socket_;
  wire::FrameReader reader_;  // a put's chunk lands in place, not through 64 KiB copies
  FrameQueue out_;            // answers, written from where their payloads lie
  uint32_t seq_ = 0;
  bool closed_ = false;
};

ClientPort::ClientPort(AsioRuntime& rt, ClientPortOptions options)
    : rt_(rt), options_(std::move(options)) {
  CAIRN_ASSERT(options_.max_connections > 0);
  Metrics& m = rt_.metrics();
  counters_ = Counters{&m.counter("client_port_accepted"), &m.counter("client_port_refused"),
                       &m.counter("client_port_requests"), &m.counter("client_port_answers"),
                       &m.counter("client_port_dropped"),  &m.counter("client_port_bad_frames")};
}

ClientPort::~ClientPort() { close(); }

absl::StatusOr<uint16_t> ClientPort::listen(const tcp::endpoint& at) {
  boost::system::error_code ec;
  auto acceptor = std::make_unique<tcp::acceptor>(rt_.io());
  acceptor->open(at.protocol(), ec);
  if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor->bind(at, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return to_status(
        ec, absl::StrCat("listen for clients on ", at.address().to_string(), ":", at.port()));
  }
  const uint16_t port = acceptor->local_endpoint().port();
  acceptor_ = std::move(acceptor);
  accept();
  return port;
}

NodeId ClientPort::next_id() {
  do {
    last_id_ = last_id_ == UINT32_MAX ? kFirstClientId : last_id_ + 1;
  } while (conns_.contains(last_id_));
  return last_id_;
}

void ClientPort::accept() {
  acceptor_->async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (closed_ || !acceptor_ || !acceptor_->is_open()) return;
    if (ec) {
      rt_.logger().warn("n{} client accept failed: {}", rt_.self(), ec.message());
    } else if (conns_.size() >= options_.max_connections) {
      counters_.refused->add();
      boost::system::error_code ignored;
      socket.close(ignored);
    } else {
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      const NodeId id = next_id();
      auto conn = std::make_shared<Conn>(*this, id, std::move(socket));
      conns_[id] = conn;
      counters_.accepted->add();
      conn->start();
    }
    accept();
  });
}

absl::Status ClientPort::send(NodeId to, const Message& message) {
  auto it = conns_.find(to);
  if (closed_ || it == conns_.end()) {
    counters_.dropped->add();
    return absl::NotFoundError(absl::StrCat("client c", to - kFirstClientId, " is gone"));
  }
  counters_.answers->add();
  it->second->send(message);
  return absl::OkStatus();
}

void ClientPort::on_closed(NodeId id) { conns_.erase(id); }

void ClientPort::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  if (acceptor_) acceptor_->close(ignored);
  auto conns = std::move(conns_);
  conns_.clear();
  for (auto& [id, conn] : conns) conn->close("node shutting down");
}

}  // namespace cairn::real
