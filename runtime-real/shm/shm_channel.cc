#include "runtime-real/shm/shm_channel.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "core/base/assert.h"
#include "runtime-real/host/asio_runtime.h"

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

void RingWaker::arm(uint64_t target) {
  CAIRN_ASSERT(target > 0);
  absl::MutexLock lock(&mu_);
  armed_ = true;
  target_ = target;
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

bool RingWaker::ring_ready(uint64_t target) const {
  if (ring_.closed()) return true;
  if (side_ == Side::kData) return ring_.write_index() >= target;
  return ring_.retired() || ring_.free_bytes() >= std::min<uint64_t>(target, ring_.capacity());
}

void RingWaker::run() {
  for (;;) {
    uint64_t target = 1;
    {
      absl::MutexLock lock(&mu_);
      auto wanted = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return armed_ || stopping_; };
      mu_.Await(absl::Condition(&wanted));
      if (stopping_) return;
      target = target_;
    }
    // Sleep on the ring until the other side moves. The ring's own protocol (announce,
    // re-check, sleep) makes a wake-up that races with our announcement impossible to miss.
    while (!ring_ready(target)) {
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) return;
        target = target_;
      }
      if (side_ == Side::kData) {
        ring_.wait_for_data(kWaitMs, target);
      } else {
        ring_.wait_for_space(kWaitMs, target);
      }
      if (!ring_ready(target) && !process_alive(peer_pid_)) ring_.close();
    }
    {
      absl::MutexLock lock(&mu_);
      armed_ = false;
    }
    rt_.post(ready_);
  }
}

ShmTransport::Writer::Writer(AsioRuntime& rt, std::unique_ptr<ShmRing> ring, uint64_t peer_pid,
                             size_t queue_max, std::function<void()> drained, UnsentHandler unsent)
    : rt_(rt),
      ring_(std::move(ring)),
      peer_pid_(peer_pid),
      queue_max_(queue_max),
      drained_(std::move(drained)),
      unsent_(std::move(unsent)) {
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

bool ShmTransport::Writer::ring_usable() {
  if (broken_) return false;
  if (ring_->retired()) {
    break_ring(/*hand_back=*/true);  // the reader holds payloads: nothing may be lost
  } else if (ring_->closed()) {
    break_ring(/*hand_back=*/false);
  }
  return !broken_;
}

absl::Status ShmTransport::Writer::push(const Message& message) {
  if (!ring_usable()) return absl::UnavailableError("shm ring broken");
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

absl::StatusOr<std::span<char>> ShmTransport::Writer::reserve(MessageType type,
                                                              std::string_view header,
                                                              size_t payload_bytes) {
  CAIRN_ASSERT(reserved_ == 0);
  if (!ring_usable()) return absl::UnavailableError("shm ring broken");
  const size_t frame = wire::kFrameHeaderSize + header.size() + payload_bytes;
  if (frame > ring_->capacity()) return absl::InvalidArgumentError("frame larger than the ring");
  const std::span<char> space = queue_.empty() ? ring_->reserve(frame) : std::span<char>();
  if (space.empty()) {
    refused_ = true;
    if (queue_.empty()) waker_->arm(frame);  // otherwise pump() has it armed for the queue
    return absl::ResourceExhaustedError("shm ring full");
  }
  const auto head = wire::encode_frame_header_unchecked(type, header, payload_bytes,
                                                        wire::FrameMeta{sequence_++, 0, 0});
  std::memcpy(space.data(), head.data(), head.size());
  std::memcpy(space.data() + head.size(), header.data(), header.size());
  reserved_ = frame;
  return space.subspan(head.size() + header.size());
}

absl::Status ShmTransport::Writer::publish_reserved() {
  CAIRN_ASSERT(reserved_ > 0);
  const size_t frame = std::exchange(reserved_, 0);
  if (!ring_usable()) return absl::UnavailableError("shm ring broken");
  ring_->publish(frame);
  pump();  // what push() queued meanwhile
  return absl::OkStatus();
}

void ShmTransport::Writer::abandon_reserved() {
  reserved_ = 0;  // nothing was published
  pump();
}

void ShmTransport::Writer::pump() {
  if (!ring_usable() || reserved_ > 0) return;
  if (queue_.empty() && refused_) notify_drained();  // reserve() found the ring full
  while (!queue_.empty()) {
    Pending& p = queue_.front();
    const std::array<std::string_view, 3> pieces{std::string_view(p.head.data(), p.head.size()),
                                                 std::string_view(p.message.header),
                                                 p.message.payload.view()};
    p.written += ring_->write_gather(pieces, p.written);
    if (p.written < p.size()) {
      if (!ring_usable()) return;
      // Wake up for a good slice of what is left rather than for every freed byte.
      waker_->arm(std::min<size_t>(p.size() - p.written, ring_->capacity() / 4));
      return;
    }
    queue_.pop_front();
    if (refused_ && queue_.size() <= queue_max_ / 2) notify_drained();
  }
}

void ShmTransport::Writer::break_ring(bool hand_back) {
  broken_ = true;
  std::vector<Message> unsent;
  if (hand_back && unsent_) {
    unsent.reserve(queue_.size());
    for (Pending& p : queue_) unsent.push_back(std::move(p.message));
  }
  queue_.clear();  // otherwise dropped, like TCP's queue when its connection fails
  // Closing after our last write tells the reader that the head will not move again.
  stop();
  if (!unsent.empty()) unsent_(std::move(unsent));
  if (refused_) notify_drained();  // the sender may now use TCP
}

void ShmTransport::Writer::notify_drained() {
  refused_ = false;
  // Posted, never called from inside push(): the handler usually sends again.
  if (drained_) rt_.post(drained_);
}

ShmTransport::Reader::Reader(AsioRuntime& rt, NodeId from, std::unique_ptr<ShmRing> ring,
                             uint64_t peer_pid, wire::FrameLimits limits, bool in_place)
    : rt_(rt),
      from_(from),
      releases_(std::make_shared<RingReleases>(std::shared_ptr<ShmRing>(std::move(ring)))),
      ring_(*releases_->ring()),
      peer_pid_(peer_pid),
      limits_(limits),
      decoder_(limits),
      read_pos_(ring_.read_index()),
      in_place_(in_place),
      frames_in_place_(&rt.metrics().counter("transport_shm_frames_received_in_place")),
      frames_copied_(&rt.metrics().counter("transport_shm_frames_received_copied")) {}

ShmTransport::Reader::~Reader() {
  stop();
  waker_.reset();  // joins before the ring can go
}

void ShmTransport::Reader::start() {
  CAIRN_ASSERT(!waker_);
  waker_ = std::make_unique<RingWaker>(rt_, ring_, RingWaker::Side::kData, peer_pid_,
                                       [weak = weak_from_this()] {
                                         if (auto self = weak.lock()) self->drain();
                                       });
  waker_->arm(read_pos_ + 1);  // posts a drain as soon as bytes are there (maybe at once)
}

void ShmTransport::Reader::stop() {
  stopped_.store(true);
  if (waker_) waker_->stop();
  ring_.close();
}

void ShmTransport::Reader::drain() {
  int frames = 0;
  size_t bytes = 0;
  while (!stopped_.load()) {
    uint64_t wait_for = 0;
    const Step s = step(&wait_for, &frames, &bytes);
    if (s == Step::kBad) return stop();
    if (s == Step::kWait) {
      if (ring_.closed()) {
        // The writer closes after its last write: read up to the head it left (seen after
        // seeing closed), then stop; a frame it left unfinished is dropped.
        if (ring_.write_index() >= wait_for) continue;
        return stop();
      }
      watch_held();
      waker_->arm(wait_for);
      return;
    }
    if (frames >= kTurnFramesMax || bytes >= kTurnBytesMax) {
      // Let the loop's other work run; come back right after it.
      rt_.post([weak = weak_from_this()] {
        if (auto self = weak.lock()) self->drain();
      });
      return;
    }
  }
}

ShmTransport::Reader::Step ShmTransport::Reader::step(uint64_t* wait_for, int* frames,
                                                      size_t* bytes) {
  const std::span<const char> avail = ring_.readable_at(read_pos_);
  const uint64_t before = read_pos_;
  Step s = Step::kMore;
  if (in_place_ && !decoder_.mid_frame()) {
    // At a frame boundary: read the header where it lies to choose in place or copy.
    if (avail.size() < wire::kFrameHeaderSize) {
      *wait_for = read_pos_ + wire::kFrameHeaderSize;
      return Step::kWait;
    }
    wire::FrameHeader fh;
    std::string why;
    const wire::FrameError error = wire::parse_frame_header(avail.data(), limits_, &fh, &why);
    if (error != wire::FrameError::kNone) return refuse(wire::frame_status(error, why));
    if (in_place_ok(fh)) {
      if (avail.size() < fh.frame_bytes()) {
        *wait_for = read_pos_ + fh.frame_bytes();
        return Step::kWait;
      }
      s = take_in_place(avail.first(fh.frame_bytes()), fh);
      ++*frames;
      *bytes += read_pos_ - before;
      return s;
    }
  }
  if (avail.empty()) {
    *wait_for = read_pos_ + 1;
    return Step::kWait;
  }
  s = copy_some(avail, frames);
  *bytes += read_pos_ - before;
  return s;
}

bool ShmTransport::Reader::in_place_ok(const wire::FrameHeader& fh) const {
  // Bytes read but not released (held payloads and what lies behind the oldest) stay
  // within half the ring, so the writer always has the other half.
  const uint64_t unreleased = read_pos_ - ring_.read_index();
  return fh.payload_bytes >= kInPlaceMinBytes &&
         unreleased + fh.frame_bytes() <= ring_.capacity() / 2;
}

ShmTransport::Reader::Step ShmTransport::Reader::take_in_place(std::span<const char> frame,
                                                               const wire::FrameHeader& fh) {
  read_pos_ += frame.size();
  wire::Frame f;
  std::string why;
  const wire::FrameError error =
      wire::decode_frame_in_place(frame, fh, releases_->pin(read_pos_), &f, &why);
  if (error != wire::FrameError::kNone) return refuse(wire::frame_status(error, why));
  frames_in_place_->add();
  rt_.deliver(from_, f.message);
  return Step::kMore;
}

ShmTransport::Reader::Step ShmTransport::Reader::copy_some(std::span<const char> avail,
                                                           int* frames) {
  const size_t n = decoder_.absorb(avail.data(), avail.size());
  read_pos_ += n;
  releases_->pass(read_pos_);  // copied: free it before the receiver runs
  if (!decoder_.status().ok()) return refuse(decoder_.status());
  CAIRN_ASSERT(n > 0);
  if (decoder_.has_frame()) {
    ++*frames;
    frames_copied_->add();
    const wire::Frame f = decoder_.take();
    rt_.deliver(from_, f.message);
  }
  return Step::kMore;
}

ShmTransport::Reader::Step ShmTransport::Reader::refuse(const absl::Status& why) {
  rt_.logger().warn("n{} refusing shm frame from n{}: {}; closing the ring", rt_.self(), from_,
                    why.ToString());
  return Step::kBad;
}

void ShmTransport::Reader::watch_held() {
  if (held_check_armed_ || retired_ || releases_->pinned() == 0) return;
  held_check_armed_ = true;
  rt_.after(std::chrono::milliseconds(kHeldGraceMs),
            [weak = weak_from_this(), tail = ring_.read_index()] {
              if (auto self = weak.lock()) self->check_held(tail);
            });
}

void ShmTransport::Reader::check_held(uint64_t tail_then) {
  held_check_armed_ = false;
  if (stopped_.load() || retired_ || releases_->pinned() == 0) return;
  if (ring_.read_index() != tail_then || !ring_.producer_waiting()) return watch_held();
  // The writer waits for space that only held payloads can give back.
  retired_ = true;
  in_place_ = false;
  rt_.logger().info(
      "n{} payloads from n{} held in the shm ring stall its writer: retiring the ring", rt_.self(),
      from_);
  rt_.metrics().counter("transport_shm_rings_retired").add();
  ring_.retire();
}

}  // namespace cairn::real
