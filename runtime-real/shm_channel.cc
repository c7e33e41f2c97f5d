#include "runtime-real/shm_channel.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

#include "core/wire/frame.h"
#include "runtime-real/asio_runtime.h"

namespace cairn::real {
namespace {
constexpr int kWaitMs = 50;
}

bool process_alive(uint64_t pid) {
  return pid == 0 || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH;
}

ShmTransport::Writer::Writer(std::unique_ptr<ShmRing> ring, uint64_t peer_pid, size_t queue_max)
    : ring_(std::move(ring)), peer_pid_(peer_pid), queue_max_(queue_max) {
  thread_ = std::thread([this] { run(); });
}

ShmTransport::Writer::~Writer() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void ShmTransport::Writer::stop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
}

absl::Status ShmTransport::Writer::push(const Message& message) {
  if (broken_.load()) return absl::UnavailableError("shm ring broken");
  absl::MutexLock lock(&mu_);
  if (queue_.size() >= queue_max_) return absl::ResourceExhaustedError("shm queue full");
  queue_.push_back(message);  // shares the payload bytes, copies only the small header
  return absl::OkStatus();
}

bool ShmTransport::Writer::write_all(const char* data, size_t size) {
  while (size > 0) {
    const size_t n = ring_->write_some(data, size);
    data += n;
    size -= n;
    if (n > 0) continue;
    if (ring_->closed() || !process_alive(peer_pid_)) return false;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return false;
    }
    ring_->wait_for_space(kWaitMs);
  }
  return true;
}

void ShmTransport::Writer::run() {
  for (;;) {
    Message m;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !queue_.empty(); };
      mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(kWaitMs));
      if (stopping_) break;
      if (queue_.empty()) {
        if (ring_->closed() || !process_alive(peer_pid_)) break;
        continue;
      }
      m = std::move(queue_.front());
      queue_.pop_front();
    }
    const auto head =
        wire::encode_frame_header(m, wire::FrameMeta{sequence_++, 0, wire::kFlagPayloadUnchecked});
    const std::string* payload = m.payload.bytes.get();
    if (!write_all(head.data(), head.size()) || !write_all(m.header.data(), m.header.size()) ||
        (payload != nullptr && !write_all(payload->data(), payload->size()))) {
      break;
    }
  }
  broken_.store(true);
  ring_->close();
}

ShmTransport::Reader::Reader(AsioRuntime& rt, NodeId from, std::unique_ptr<ShmRing> ring,
                             uint64_t peer_pid)
    : rt_(rt), from_(from), ring_(std::move(ring)), peer_pid_(peer_pid) {
  thread_ = std::thread([this] { run(); });
}

ShmTransport::Reader::~Reader() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void ShmTransport::Reader::stop() { stopping_.store(true); }

bool ShmTransport::Reader::deliver(Message message) {
  while (in_flight_->load() >= kInFlightMax) {
    if (stopping_.load()) return false;
    std::this_thread::yield();
  }
  in_flight_->fetch_add(1);
  rt_.post([rt = &rt_, from = from_, in_flight = in_flight_, m = std::move(message)] {
    in_flight->fetch_sub(1);
    rt->deliver(from, m);
  });
  return true;
}

void ShmTransport::Reader::run() {
  wire::FrameDecoder decoder;
  while (!stopping_.load()) {
    const std::span<const char> r = ring_->readable();
    if (r.empty()) {
      if (ring_->closed() || !process_alive(peer_pid_)) break;
      ring_->wait_for_data(kWaitMs);
      continue;
    }
    const std::span<char> want = decoder.want();
    const size_t n = std::min(want.size(), r.size());
    std::memcpy(want.data(), r.data(), n);
    ring_->consume(n);
    if (absl::Status s = decoder.commit(n); !s.ok()) {
      rt_.logger().warn("n{} refusing shm frame from n{}: {}; closing the ring", rt_.self(), from_,
                        s.ToString());
      break;
    }
    if (decoder.has_frame() && !deliver(decoder.take().message)) break;
  }
  ring_->close();
}

}  // namespace cairn::real
