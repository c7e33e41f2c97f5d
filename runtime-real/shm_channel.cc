#include "runtime-real/shm_channel.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <string_view>

#include "core/base/assert.h"
#include "runtime-real/asio_runtime.h"

namespace cairn::real {

bool process_alive(uint64_t pid) {
  return pid == 0 || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH;
}

RingWaker::RingWaker(AsioRuntime& rt, ShmRing& ring, Side side, uint64_t peer_pid,
                     std::function<void()> ready)
    : rt_(rt), ring_(ring), side_(side), peer_pid_(peer_pid), ready_(std::move(ready)) {
  CAIRN_ASSERT(ready_ != nullptr);
  thread_ = std::thread([this] { run(); });
}

RingWaker::~RingWaker() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void RingWaker::arm(size_t space_bytes) {
  CAIRN_ASSERT(space_bytes > 0);
  absl::MutexLock lock(&mu_);
  armed_ = true;
  space_bytes_ = space_bytes;
}

void RingWaker::stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  // The thread may sleep on the ring's futex: closing the ring wakes it. A waker stops
  // only when its ring is abandoned, so closing is what the other side must see anyway.
  ring_.close();
}

bool RingWaker::ring_ready(size_t space_bytes) const {
  if (ring_.closed()) return true;
  if (side_ == Side::kData) return !ring_.readable().empty();
  return ring_.free_bytes() >= std::min<uint64_t>(space_bytes, ring_.capacity());
}

void RingWaker::run() {
  for (;;) {
    size_t space_bytes = 1;
    {
      absl::MutexLock lock(&mu_);
      auto wanted = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return armed_ || stopping_; };
      mu_.Await(absl::Condition(&wanted));
      if (stopping_) return;
      space_bytes = space_bytes_;
    }
    // Sleep on the ring until the other side moves. The ring's own protocol (announce,
    // re-check, sleep) makes a wake-up that races with our announcement impossible to miss.
    while (!ring_ready(space_bytes)) {
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) return;
        space_bytes = space_bytes_;
      }
      if (side_ == Side::kData) {
        ring_.wait_for_data(kWaitMs);
      } else {
        ring_.wait_for_space(kWaitMs, space_bytes);
      }
      if (!ring_ready(space_bytes) && !process_alive(peer_pid_)) ring_.close();
    }
    {
      absl::MutexLock lock(&mu_);
      armed_ = false;
    }
    rt_.post(ready_);
  }
}

ShmTransport::Writer::Writer(AsioRuntime& rt, std::unique_ptr<ShmRing> ring, uint64_t peer_pid,
                             size_t queue_max, std::function<void()> drained)
    : rt_(rt),
      ring_(std::move(ring)),
      peer_pid_(peer_pid),
      queue_max_(queue_max),
      drained_(std::move(drained)) {
  CAIRN_ASSERT(queue_max_ > 0);
}

ShmTransport::Writer::~Writer() {
  stop();
  waker_.reset();  // joins before the ring goes
}

void ShmTransport::Writer::start() {
  CAIRN_ASSERT(!waker_);
  waker_ = std::make_unique<RingWaker>(rt_, *ring_, RingWaker::Side::kSpace, peer_pid_,
                                       [weak = weak_from_this()] {
                                         if (auto self = weak.lock()) self->pump();
                                       });
}

void ShmTransport::Writer::stop() {
  if (waker_) waker_->stop();
  ring_->close();
}

absl::Status ShmTransport::Writer::push(const Message& message) {
  if (!broken_ && ring_->closed()) break_ring();
  if (broken_) return absl::UnavailableError("shm ring broken");
  if (queue_.size() >= queue_max_) {
    refused_ = true;
    return absl::ResourceExhaustedError("shm queue full");
  }
  Pending p{wire::encode_frame_header(message,
                                      wire::FrameMeta{sequence_++, 0, wire::kFlagPayloadUnchecked}),
            message, 0};
  queue_.push_back(std::move(p));
  if (queue_.size() == 1) pump();  // otherwise the waker is armed and will pump
  return absl::OkStatus();
}

void ShmTransport::Writer::pump() {
  if (broken_) return;
  while (!queue_.empty()) {
    Pending& p = queue_.front();
    const std::array<std::string_view, 3> pieces{std::string_view(p.head.data(), p.head.size()),
                                                 std::string_view(p.message.header),
                                                 p.message.payload.view()};
    p.written += ring_->write_gather(pieces, p.written);
    if (p.written < p.size()) {
      if (ring_->closed()) return break_ring();
      // Wake up for a good slice of what is left rather than for every freed byte.
      waker_->arm(std::min<size_t>(p.size() - p.written, ring_->capacity() / 4));
      return;
    }
    queue_.pop_front();
    if (refused_ && queue_.size() <= queue_max_ / 2) notify_drained();
  }
}

void ShmTransport::Writer::break_ring() {
  broken_ = true;
  queue_.clear();  // dropped, like TCP's queue when its connection fails
  stop();
  if (refused_) notify_drained();  // the sender may now use TCP
}

void ShmTransport::Writer::notify_drained() {
  refused_ = false;
  // Posted, never called from inside push(): the handler usually sends again.
  if (drained_) rt_.post(drained_);
}

ShmTransport::Reader::Reader(AsioRuntime& rt, NodeId from, std::unique_ptr<ShmRing> ring,
                             uint64_t peer_pid, wire::FrameLimits limits)
    : rt_(rt), from_(from), ring_(std::move(ring)), peer_pid_(peer_pid), decoder_(limits) {}

ShmTransport::Reader::~Reader() {
  stop();
  waker_.reset();  // joins before the ring goes
}

void ShmTransport::Reader::start() {
  CAIRN_ASSERT(!waker_);
  waker_ = std::make_unique<RingWaker>(rt_, *ring_, RingWaker::Side::kData, peer_pid_,
                                       [weak = weak_from_this()] {
                                         if (auto self = weak.lock()) self->drain();
                                       });
  waker_->arm();  // posts a drain as soon as bytes are there (maybe at once)
}

void ShmTransport::Reader::stop() {
  stopped_.store(true);
  if (waker_) waker_->stop();
  ring_->close();
}

void ShmTransport::Reader::drain() {
  int frames = 0;
  size_t bytes = 0;
  while (!stopped_.load()) {
    const std::span<const char> r = ring_->readable();
    if (r.empty()) {
      if (ring_->closed()) return stop();
      waker_->arm();
      return;
    }
    if (!take_span(r, &frames, &bytes)) return stop();
    if (frames >= kTurnFramesMax || bytes >= kTurnBytesMax) {
      // Let the loop's other work run; come back right after it.
      rt_.post([weak = weak_from_this()] {
        if (auto self = weak.lock()) self->drain();
      });
      return;
    }
  }
}

bool ShmTransport::Reader::take_span(std::span<const char> r, int* frames, size_t* bytes) {
  size_t used = 0;
  while (used < r.size()) {
    const size_t n = decoder_.absorb(r.data() + used, r.size() - used);
    CAIRN_ASSERT(n > 0 || !decoder_.status().ok());
    used += n;
    if (!decoder_.status().ok()) {
      rt_.logger().warn("n{} refusing shm frame from n{}: {}; closing the ring", rt_.self(), from_,
                        decoder_.status().ToString());
      return false;
    }
    if (decoder_.has_frame()) {
      ring_->consume(used);  // free the space before the receiver runs
      r = r.subspan(used);
      *bytes += used;
      used = 0;
      ++*frames;
      wire::Frame f = decoder_.take();
      rt_.deliver(from_, f.message);
      if (stopped_.load() || *frames >= kTurnFramesMax) return true;
    }
  }
  ring_->consume(used);
  *bytes += used;
  return true;
}

}  // namespace cairn::real
