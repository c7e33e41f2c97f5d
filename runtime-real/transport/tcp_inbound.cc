#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "runtime-real/host/asio_runtime.h"
#include "runtime-real/transport/tcp_conns.h"

namespace cairn::real {

TcpTransport::Inbound::Inbound(TcpTransport& t, tcp::socket socket)
    : t_(t), socket_(std::move(socket)), reader_(t.options_.limits) {
  boost::system::error_code ec;
  const auto ep = socket_.remote_endpoint(ec);
  remote_ = ec ? "?" : absl::StrCat(ep.address().to_string(), ":", ep.port());
}

std::string TcpTransport::Inbound::describe() const {
  return from_ == kNoNode ? remote_ : absl::StrCat("n", from_, " (", remote_, ")");
}

void TcpTransport::Inbound::read() {
  if (closed_) return;
  const std::span<char> into = reader_.next();
  socket_.async_read_some(asio::buffer(into.data(), into.size()),
                          [self = shared_from_this()](const boost::system::error_code& ec,
                                                      size_t n) { self->on_read(ec, n); });
}

void TcpTransport::Inbound::on_read(const boost::system::error_code& ec, size_t n) {
  if (closed_ || t_.closed_) return;
  wire::FrameDecoder& decoder = reader_.decoder();
  if (ec) {
    // A peer that closes between frames is a normal goodbye; in the middle of one it is not.
    if (ec == asio::error::eof && !decoder.mid_frame()) {
      close();
    } else if (ec == asio::error::eof) {
      refuse(decoder.finish());
    } else {
      t_.rt_.logger().debug("n{} inbound {} closed: {}", t_.rt_.self(), describe(), ec.message());
      close();
    }
    return;
  }
  t_.counters_.bytes_received->add(static_cast<int64_t>(n));
  std::vector<wire::Frame> frames;
  const absl::Status s = reader_.landed(n, &frames);
  // Frames before a bad one are delivered; a frame may close the connection (a bad Hello).
  for (wire::Frame& f : frames) {
    t_.on_frame(*this, std::move(f));
    if (closed_ || t_.closed_) return;
  }
  if (!s.ok()) return refuse(s);
  read();
}

void TcpTransport::Inbound::refuse(const absl::Status& why) {
  t_.counters_.bad_frames->add();
  t_.rt_.logger().warn("n{} refusing frame from {}: {}; closing that connection", t_.rt_.self(),
                       describe(), why.ToString());
  close();
}

void TcpTransport::Inbound::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  t_.on_inbound_closed(this);
}

}  // namespace cairn::real
