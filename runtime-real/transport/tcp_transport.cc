#include "runtime-real/transport/tcp_transport.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "runtime-real/host/asio_runtime.h"
#include "runtime-real/transport/tcp_conns.h"
#include "runtime-real/transport/transport.pb.h"
#include "runtime-real/transport/transport_types.h"

namespace cairn::real {

TcpTransport::TcpTransport(AsioRuntime& rt, TcpOptions options, std::vector<PeerAddress> peers)
    : rt_(rt), options_(std::move(options)) {
  Metrics& m = rt_.metrics();
  counters_ = Counters{&m.counter("transport_tcp_frames_sent"),
                       &m.counter("transport_tcp_bytes_sent"),
                       &m.counter("transport_tcp_frames_received"),
                       &m.counter("transport_tcp_bytes_received"),
                       &m.counter("transport_tcp_bad_frames"),
                       &m.counter("transport_tcp_dropped_queue_full"),
                       &m.counter("transport_tcp_dropped_unreachable"),
                       &m.counter("transport_tcp_connects"),
                       &m.counter("transport_tcp_connect_failures"),
                       &m.counter("transport_tcp_backoffs_ended_by_hello")};
  for (auto& p : peers) {
    CAIRN_ASSERT(p.node != kNoNode && p.node != rt_.self());
    links_[p.node] = std::make_shared<Link>(*this, p);
  }
}

TcpTransport::~TcpTransport() { close(); }

absl::StatusOr<uint16_t> TcpTransport::listen(const tcp::endpoint& at) {
  boost::system::error_code ec;
  auto acceptor = std::make_unique<tcp::acceptor>(rt_.io());
  acceptor->open(at.protocol(), ec);
  if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && options_.socket_buffer_bytes > 0) {  // inherited by accepted sockets
    acceptor->set_option(asio::socket_base::receive_buffer_size(options_.socket_buffer_bytes), ec);
  }
  if (!ec) acceptor->bind(at, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return to_status(ec, absl::StrCat("listen on ", at.address().to_string(), ":", at.port()));
  }
  const uint16_t port = acceptor->local_endpoint().port();
  acceptor_ = std::move(acceptor);
  accept();
  return port;
}

void TcpTransport::accept() {
  acceptor_->async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (closed_ || !acceptor_ || !acceptor_->is_open()) return;
    if (!ec) {
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto conn = std::make_shared<Inbound>(*this, std::move(socket));
      inbound_.insert(conn);
      conn->start();
    } else {
      rt_.logger().warn("n{} accept failed: {}", rt_.self(), ec.message());
    }
    accept();
  });
}

absl::Status TcpTransport::send(NodeId to, Message message) {
  auto it = links_.find(to);
  if (closed_ || it == links_.end()) {
    counters_.dropped_unreachable->add();
    return absl::UnavailableError(absl::StrCat("no link to n", to));
  }
  if (absl::Status s = wire::check_frameable(message, options_.limits); !s.ok()) return s;
  return it->second->send(std::move(message));
}

uint64_t TcpTransport::queued_bytes(NodeId to) const {
  auto it = links_.find(to);
  return it == links_.end() ? 0 : it->second->queued_bytes();
}

void TcpTransport::on_frame(Inbound& conn, wire::Frame frame) {
  counters_.frames_received->add();
  const Message& m = frame.message;
  if (conn.from() == kNoNode) {
    Hello hello;
    if (m.type != kTransportHello || !hello.ParseFromString(m.header) || hello.node() == kNoNode) {
      counters_.bad_frames->add();
      rt_.logger().warn("n{} refusing connection from {}: first frame is not a valid hello",
                        rt_.self(), conn.describe());
      conn.close();
      return;
    }
    conn.set_from(hello.node());
    // It reached us, so we can reach it: a back-off from its downtime must not keep our
    // messages (its watchers' heartbeats) away from it any longer.
    if (auto it = links_.find(hello.node()); it != links_.end()) it->second->peer_is_back();
    if (hello_) hello_(hello.node(), hello.host_id(), hello.pid());
    return;
  }
  if (is_transport_control(m.type)) {
    if (control_) control_(conn.from(), m);
    return;
  }
  rt_.deliver(conn.from(), m);
}

void TcpTransport::on_inbound_closed(Inbound* conn) {
  for (auto it = inbound_.begin(); it != inbound_.end(); ++it) {
    if (it->get() == conn) {
      inbound_.erase(it);  // handlers in flight keep it alive until they return
      return;
    }
  }
}

void TcpTransport::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  if (acceptor_) acceptor_->close(ignored);
  for (auto& [node, link] : links_) link->close();
  auto inbound = std::move(inbound_);
  for (const auto& conn : inbound) conn->close();
}

}  // namespace cairn::real
