// The two ends of one shared-memory ring, both driven by the node's loop thread.
//
// Writer: push() frames a message straight into the ring from the loop thread (32-byte
// header, protobuf header and payload each copied once, no staging); what does not fit
// waits in a bounded queue and goes in as the reader frees space. reserve() frames a
// message whose payload the caller then writes in the ring itself (no copy at all). Reader: drain()
// decodes frames on the loop thread and delivers them there, with no further hand-off. A frame
// whose payload is at least kInPlaceMinBytes is delivered in place: its payload aliases
// the ring (no copy) and the ring space is released when the last copy of that Payload
// goes, on whatever thread (RingReleases). Other frames, and every frame once the bytes
// read but not yet released would exceed half the ring, are copied out into their own
// string (no zero-fill; see FrameDecoder), which also handles frames larger than the
// ring. A receiver that keeps in-place payloads blocks the writer once the ring is full:
// if the writer has waited for kHeldGraceMs without the tail moving while payloads are
// held, the reader retires the ring; the writer then hands its unsent messages back
// (ShmTransport sends them over TCP) and closes it, the reader delivers every whole frame
// left in it, and the held payloads stay valid (their owners keep the mapping). When the
// ring is full (writer) or short of what the reader needs, a RingWaker thread sleeps on
// the ring's futex and posts the loop once the other side moves, so nobody spins and the
// busy path has no thread hops. Both ends stop when the ring closes, when the other
// side's process is gone, or on stop(); posted work holds only weak references, so an
// end may be destroyed (on any thread) while the loop still runs.
#pragma once

#include <array>
#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "core/runtime/message.h"
#include "core/runtime/metrics.h"
#include "core/wire/frame.h"
#include "runtime-real/shm/shm_release.h"
#include "runtime-real/shm/shm_ring.h"
#include "runtime-real/shm/shm_transport.h"

namespace cairn::real {

class AsioRuntime;

// Sleeps on one side of a ring on behalf of a loop. After arm(target) (any thread) it posts
// `ready` to the loop once: when the ring's head reaches `target` (kData) or at least
// `target` bytes are free (kSpace), when it closes or is retired (kSpace), or when the peer
// process `peer_pid` is gone (it then closes the ring, so the loop sees closed()). It
// checks the peer every kWaitMs while armed.
class RingWaker {
 public:
  enum class Side { kData, kSpace };
  RingWaker(AsioRuntime& rt, ShmRing& ring, Side side, uint64_t peer_pid,
            std::function<void()> ready);
  ~RingWaker();  // stops and joins
  // REQUIRES: target > 0. Arming an armed waker only updates the target.
  void arm(uint64_t target);
  void stop();

  static constexpr int kWaitMs = 50;

 private:
  void run();
  bool ring_ready(uint64_t target) const;

  AsioRuntime& rt_;
  ShmRing& ring_;
  const Side side_;
  const uint64_t peer_pid_;
  const std::function<void()> ready_;
  absl::Mutex mu_;
  bool armed_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t target_ ABSL_GUARDED_BY(mu_) = 1;
  std::thread thread_;
};

class ShmTransport::Writer : public std::enable_shared_from_this<Writer> {
 public:
  using UnsentHandler = std::function<void(std::vector<Message>)>;
  // `peer_pid` is the reading process; `drained` runs on the loop when the queue has
  // room again after push() refused; `unsent` gets, on the loop, the queued messages (in
  // order, the one partly written first) when the reader retires the ring. Call start()
  // once the object is in a shared_ptr.
  Writer(AsioRuntime& rt, std::unique_ptr<ShmRing> ring, uint64_t peer_pid, size_t queue_max,
         std::function<void()> drained, UnsentHandler unsent = nullptr);
  ~Writer();
  void start();
  // Loop thread. ResourceExhausted when the queue is full, Unavailable once the ring is
  // broken (send it over TCP; queued messages are dropped, or handed to `unsent` when
  // the reader retired the ring).
  absl::Status push(const Message& message);
  // Loop thread. Frames a message of `type` and `header` straight into the ring with room
  // for `payload_bytes` of payload, which the caller writes in place (the span returned);
  // nothing reaches the reader until publish_reserved(). One reservation at a time, and
  // only while nothing is queued. ResourceExhausted: no room yet (the drain handler runs
  // when there is); Unavailable as push(); InvalidArgument: the frame exceeds the ring.
  absl::StatusOr<std::span<char>> reserve(MessageType type, std::string_view header,
                                          size_t payload_bytes);
  // Publishes the reserved frame. Unavailable if the ring broke meanwhile (the payload's
  // bytes stay readable: send them another way).
  absl::Status publish_reserved();
  void abandon_reserved();
  bool broken() const { return broken_; }
  size_t queued() const { return queue_.size(); }
  // Closes the ring and stops the waker. Any thread; idempotent.
  void stop();

 private:
  struct Pending {
    std::array<char, wire::kFrameHeaderSize> head;
    Message message;  // shares the payload bytes
    size_t written = 0;
    size_t size() const { return head.size() + message.header.size() + message.payload.size(); }
  };
  void pump();
  // Checks the ring's state; false (and broken) if it is closed or retired.
  bool ring_usable();
  void break_ring(bool hand_back);
  void notify_drained();

  AsioRuntime& rt_;
  std::unique_ptr<ShmRing> ring_;
  const uint64_t peer_pid_;
  const size_t queue_max_;
  const std::function<void()> drained_;
  const UnsentHandler unsent_;
  std::unique_ptr<RingWaker> waker_;
  // Loop thread only.
  std::deque<Pending> queue_;
  uint32_t sequence_ = 0;
  size_t reserved_ = 0;  // bytes of the frame reserved at the ring's head (0: none)
  bool refused_ = false;
  bool broken_ = false;
};

class ShmTransport::Reader : public std::enable_shared_from_this<Reader> {
 public:
  // With `in_place` false every frame is copied out (no payload aliases the ring).
  Reader(AsioRuntime& rt, NodeId from, std::unique_ptr<ShmRing> ring, uint64_t peer_pid,
         wire::FrameLimits limits, bool in_place = true);
  ~Reader();
  // Starts the waker, which posts drains to the loop. Call once, when the object is in a
  // shared_ptr.
  void start();
  // Closes the ring and stops the waker. Any thread; idempotent.
  void stop();
  // Loop thread: true once held payloads made this reader retire its ring.
  bool retired() const { return retired_; }

  // A drain turn delivers at most this much before yielding the loop to other work.
  static constexpr int kTurnFramesMax = 256;
  static constexpr size_t kTurnBytesMax = 16u << 20;
  // Smaller payloads are copied: a copy costs less than tracking their release.
  static constexpr uint32_t kInPlaceMinBytes = 4096;
  static constexpr int kHeldGraceMs = 2 * RingWaker::kWaitMs;

 private:
  enum class Step { kMore, kWait, kBad };
  void drain();
  // Decodes from read_pos_: one frame in place, or some bytes copied into the decoder.
  // kWait: the ring's head must reach *wait_for first.
  Step step(uint64_t* wait_for, int* frames, size_t* bytes);
  bool in_place_ok(const wire::FrameHeader& fh) const;
  Step take_in_place(std::span<const char> frame, const wire::FrameHeader& fh);
  Step copy_some(std::span<const char> avail, int* frames);
  Step refuse(const absl::Status& why);
  // While payloads are held, checks every kHeldGraceMs whether they stall the writer.
  void watch_held();
  void check_held(uint64_t tail_then);

  AsioRuntime& rt_;
  const NodeId from_;
  std::shared_ptr<RingReleases> releases_;
  ShmRing& ring_;  // owned by releases_ (and by the payloads that alias it)
  const uint64_t peer_pid_;
  const wire::FrameLimits limits_;
  std::unique_ptr<RingWaker> waker_;
  // Loop thread only.
  wire::FrameDecoder decoder_;
  uint64_t read_pos_ = 0;  // absolute ring position decoded up to (>= the ring's tail)
  bool in_place_;
  bool retired_ = false;
  bool held_check_armed_ = false;
  Counter* frames_in_place_;
  Counter* frames_copied_;
  std::atomic<bool> stopped_{false};
};

// True if process `pid` exists (or cannot be checked).
bool process_alive(uint64_t pid);

}  // namespace cairn::real
