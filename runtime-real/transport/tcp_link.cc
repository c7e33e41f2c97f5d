#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "runtime-real/host/asio_runtime.h"
#include "runtime-real/transport/tcp_conns.h"
#include "runtime-real/transport/transport.pb.h"
#include "runtime-real/transport/transport_types.h"

namespace cairn::real {

TcpTransport::Link::Link(TcpTransport& t, PeerAddress peer)
    : t_(t), peer_(std::move(peer)), socket_(t.rt_.io()), backoff_timer_(t.rt_.io()) {}

absl::Status TcpTransport::Link::send(Message message) {
  if (state_ == State::kBackoff && backoff_ > t_.options_.hold_backoff_max) {
    t_.counters_.dropped_unreachable->add();
    return absl::UnavailableError(absl::StrCat("n", peer_.node, " unreachable, backing off"));
  }
  const uint64_t bytes = message.wire_size();
  if (queue_.size() >= t_.options_.queue_frames_max ||
      queued_bytes_ + bytes > t_.options_.queue_bytes_max) {
    t_.counters_.dropped_queue_full->add();
    refused_ = true;
    return absl::ResourceExhaustedError(absl::StrCat("send queue to n", peer_.node, " full"));
  }
  queue_.push_back(Out{{}, std::move(message)});
  queued_bytes_ += bytes;
  if (state_ == State::kIdle) connect();
  if (state_ == State::kConnected) write();
  return absl::OkStatus();
}

void TcpTransport::Link::connect() {
  CAIRN_ASSERT(state_ == State::kIdle);
  state_ = State::kConnecting;
  socket_ = tcp::socket(t_.rt_.io());
  if (t_.options_.socket_buffer_bytes > 0) {
    boost::system::error_code ec;  // best effort: the kernel's default still works
    socket_.open(peer_.endpoint.protocol(), ec);
    if (!ec) {
      socket_.set_option(asio::socket_base::send_buffer_size(t_.options_.socket_buffer_bytes), ec);
    }
  }
  socket_.async_connect(
      peer_.endpoint,
      [self = shared_from_this()](const boost::system::error_code& ec) { self->on_connected(ec); });
}

Message TcpTransport::Link::hello() const {
  Hello h;
  h.set_node(t_.rt_.self());
  h.set_host_id(t_.options_.host_id);
  h.set_pid(static_cast<uint64_t>(::getpid()));
  Message m;
  m.type = kTransportHello;
  m.header = h.SerializeAsString();
  return m;
}

void TcpTransport::Link::on_connected(const boost::system::error_code& ec) {
  if (t_.closed_ || state_ != State::kConnecting) return;
  if (ec) {
    t_.counters_.connect_failures->add();
    fail(to_status(ec, absl::StrCat("connect to n", peer_.node)));
    return;
  }
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  state_ = State::kConnected;
  failures_ = 0;
  ++generation_;
  t_.counters_.connects->add();
  queue_.push_front(Out{{}, hello()});
  queued_bytes_ += queue_.front().message.wire_size();
  watch_for_close();
  write();
}

void TcpTransport::Link::watch_for_close() {
  // Peers never send on our outbound connection: a completed read means it closed.
  socket_.async_read_some(
      asio::buffer(&watch_byte_, 1),
      [self = shared_from_this(), gen = generation_](const boost::system::error_code& ec, size_t) {
        if (self->t_.closed_ || gen != self->generation_ || self->state_ != State::kConnected) {
          return;
        }
        self->fail(ec ? to_status(ec, "peer connection")
                      : absl::UnavailableError("peer sent data"));
      });
}

void TcpTransport::Link::write() {
  if (writing_ || queue_.empty() || state_ != State::kConnected) return;
  gather_.clear();
  size_t frames = 0;
  uint64_t bytes = 0;
  for (Out& out : queue_) {
    if (frames == t_.options_.gather_frames_max || (frames > 0 && bytes > (4u << 20))) break;
    out.head = wire::encode_frame_header(
        out.message,
        wire::FrameMeta{sequence_++, static_cast<uint64_t>(to_seconds(t_.rt_.now()) * 1e6),
                        t_.options_.check_payload ? uint8_t{0} : wire::kFlagPayloadUnchecked});
    gather_.emplace_back(out.head.data(), out.head.size());
    if (!out.message.header.empty()) gather_.push_back(asio::buffer(out.message.header));
    if (const std::string_view payload = out.message.payload.view(); !payload.empty()) {
      gather_.push_back(asio::buffer(payload.data(), payload.size()));
    }
    ++frames;
    bytes += out.message.wire_size();
  }
  writing_ = true;
  asio::async_write(socket_, gather_, TransferAllUncapped{},
                    [self = shared_from_this(), frames, bytes, gen = generation_](
                        const boost::system::error_code& ec, size_t) {
                      if (gen != self->generation_) return;  // a reconnect superseded it
                      self->on_written(ec, frames, bytes);
                    });
}

void TcpTransport::Link::on_written(const boost::system::error_code& ec, size_t frames,
                                    uint64_t bytes) {
  writing_ = false;
  if (t_.closed_) return;
  if (ec) {
    fail(to_status(ec, absl::StrCat("write to n", peer_.node)));
    return;
  }
  for (size_t i = 0; i < frames; ++i) queue_.pop_front();
  queued_bytes_ -= bytes;
  t_.counters_.frames_sent->add(static_cast<int64_t>(frames));
  t_.counters_.bytes_sent->add(static_cast<int64_t>(bytes));
  write();
  if (refused_ && queued_bytes_ <= t_.options_.queue_bytes_max / 2 &&
      queue_.size() <= t_.options_.queue_frames_max / 2) {
    refused_ = false;
    if (t_.drain_) t_.drain_(peer_.node);
  }
}

void TcpTransport::Link::fail(const absl::Status& why) {
  t_.rt_.logger().debug("n{} link to n{} down: {}", t_.rt_.self(), peer_.node, why.ToString());
  boost::system::error_code ignored;
  socket_.close(ignored);
  ++generation_;
  writing_ = false;
  t_.counters_.dropped_unreachable->add(static_cast<int64_t>(queue_.size()));
  queue_.clear();
  queued_bytes_ = 0;
  ++failures_;
  const int shift = std::min(failures_ - 1, 20);
  Duration backoff = std::min(t_.options_.backoff_max, t_.options_.backoff_min * (1 << shift));
  // Jitter (up to +25%) so that a cluster's links to a restarted node do not move in step.
  backoff += Duration(static_cast<int64_t>(t_.rt_.rng().uniform01() * backoff.count() / 4));
  CAIRN_ASSERT(backoff > Duration(0));
  backoff_ = backoff;
  state_ = State::kBackoff;
  backoff_timer_.expires_after(backoff);
  backoff_timer_.async_wait(
      [self = shared_from_this(), gen = generation_](const boost::system::error_code& ec) {
        // A Hello may have ended this back-off already (and a later one begun).
        if (ec || self->t_.closed_ || gen != self->generation_ || self->state_ != State::kBackoff) {
          return;
        }
        self->end_backoff();
      });
  if (refused_ && t_.drain_) {
    refused_ = false;
    t_.drain_(peer_.node);
  }
}

void TcpTransport::Link::end_backoff() {
  CAIRN_ASSERT(state_ == State::kBackoff);
  state_ = State::kIdle;
  // Messages held during a short back-off go now; otherwise reconnect on the next send.
  if (!queue_.empty()) connect();
}

void TcpTransport::Link::peer_is_back() {
  failures_ = 0;  // a failure from now on starts again at backoff_min
  if (state_ != State::kBackoff) return;
  t_.counters_.backoffs_ended_by_hello->add();
  backoff_timer_.cancel();
  end_backoff();
}

void TcpTransport::Link::close() {
  boost::system::error_code ignored;
  backoff_timer_.cancel();
  socket_.close(ignored);
  ++generation_;
  queue_.clear();
  queued_bytes_ = 0;
}

}  // namespace cairn::real
