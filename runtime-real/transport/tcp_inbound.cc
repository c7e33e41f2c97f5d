#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "runtime-real/host/asio_runtime.h"
#include "runtime-real/transport/tcp_conns.h"

namespace cairn::real {

TcpTransport::Inbound::Inbound(TcpTransport& t, tcp::socket socket)
    : t_(t), socket_(std::move(socket)), decoder_(t.options_.limits), staging_(kStagingBytes) {
  boost::system::error_code ec;
  const auto ep = socket_.remote_endpoint(ec);
  remote_ = ec ? "?" : absl::StrCat(ep.address().to_string(), ":", ep.port());
}

std::string TcpTransport::Inbound::describe() const {
  return from_ == kNoNode ? remote_ : absl::StrCat("n", from_, " (", remote_, ")");
}

void TcpTransport::Inbound::read() {
  if (closed_) return;
  const std::span<char> want = decoder_.want();
  const bool direct = staged_begin_ == staged_end_ && want.size() >= kDirectReadMin;
  auto buffer = direct ? asio::buffer(want.data(), want.size()) : asio::buffer(staging_);
  socket_.async_read_some(
      buffer, [self = shared_from_this(), direct](const boost::system::error_code& ec, size_t n) {
        self->on_read(ec, n, direct);
      });
}

void TcpTransport::Inbound::on_read(const boost::system::error_code& ec, size_t n, bool direct) {
  if (closed_ || t_.closed_) return;
  if (ec) {
    // A peer that closes between frames is a normal goodbye; in the middle of one it is not.
    if (ec == asio::error::eof && !decoder_.mid_frame()) {
      close();
    } else if (ec == asio::error::eof) {
      refuse(decoder_.finish());
    } else {
      t_.rt_.logger().debug("n{} inbound {} closed: {}", t_.rt_.self(), describe(), ec.message());
      close();
    }
    return;
  }
  t_.counters_.bytes_received->add(static_cast<int64_t>(n));
  if (direct) {
    if (absl::Status s = decoder_.commit(n); !s.ok()) return refuse(s);
    if (!take_frames()) return;
  } else {
    staged_begin_ = 0;
    staged_end_ = n;
    if (!drain_staging()) return;
  }
  read();
}

// Moves staged bytes into the decoder, frame by frame. False if the connection closed.
bool TcpTransport::Inbound::drain_staging() {
  while (staged_begin_ < staged_end_) {
    // absorb() appends to the payload's string: no zero-fill of what is still to come.
    staged_begin_ += decoder_.absorb(staging_.data() + staged_begin_, staged_end_ - staged_begin_);
    if (!decoder_.status().ok()) {
      refuse(decoder_.status());
      return false;
    }
    if (!take_frames()) return false;
  }
  staged_begin_ = staged_end_ = 0;
  return true;
}

bool TcpTransport::Inbound::take_frames() {
  if (!decoder_.has_frame()) return true;
  t_.on_frame(*this, decoder_.take());
  return !closed_ && !t_.closed_;
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
