// The two ends of one shared-memory ring, both driven by the node's loop thread.
//
// Writer: push() frames a message straight into the ring from the loop thread (32-byte
// header, protobuf header and payload each copied once, no staging); what does not fit
// waits in a bounded queue and goes in as the reader frees space. Reader: drain() copies
// frames out of the ring on the loop thread into their payload's own string (no
// zero-fill; see FrameDecoder) and delivers them there, with no further hand-off. When
// the ring is full (writer) or empty (reader), a RingWaker thread sleeps on the ring's
// futex and posts the loop once the other side moves, so nobody spins and the busy path
// has no thread hops. Both ends stop when the ring closes, when the other side's process
// is gone, or on stop(); posted work holds only weak references, so an end may be
// destroyed (on any thread) while the loop still runs.
#pragma once

#include <array>
#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "core/runtime/message.h"
#include "core/wire/frame.h"
#include "runtime-real/shm_ring.h"
#include "runtime-real/shm_transport.h"

namespace cairn::real {

class AsioRuntime;

// Sleeps on one side of a ring on behalf of a loop. After arm() (any thread) it posts
// `ready` to the loop once: when the ring has data (kData) or at least `space_bytes` free
// (kSpace), when it closes, or when the peer process `peer_pid` is gone (it then closes
// the ring, so the loop sees closed()). It checks the peer every kWaitMs while armed.
class RingWaker {
 public:
  enum class Side { kData, kSpace };
  RingWaker(AsioRuntime& rt, ShmRing& ring, Side side, uint64_t peer_pid,
            std::function<void()> ready);
  ~RingWaker();  // stops and joins
  // REQUIRES (kSpace): space_bytes > 0. Arming an armed waker only updates space_bytes.
  void arm(size_t space_bytes = 1);
  void stop();

  static constexpr int kWaitMs = 50;

 private:
  void run();
  bool ring_ready(size_t space_bytes) const;

  AsioRuntime& rt_;
  ShmRing& ring_;
  const Side side_;
  const uint64_t peer_pid_;
  const std::function<void()> ready_;
  absl::Mutex mu_;
  bool armed_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  size_t space_bytes_ ABSL_GUARDED_BY(mu_) = 1;
  std::thread thread_;
};

class ShmTransport::Writer : public std::enable_shared_from_this<Writer> {
 public:
  // `peer_pid` is the reading process; `drained` runs on the loop when the queue has
  // room again after push() refused. Call start() once the object is in a shared_ptr.
  Writer(AsioRuntime& rt, std::unique_ptr<ShmRing> ring, uint64_t peer_pid, size_t queue_max,
         std::function<void()> drained);
  ~Writer();
  void start();
  // Loop thread. ResourceExhausted when the queue is full, Unavailable once the ring is
  // broken (its queued messages are then dropped: send them over TCP).
  absl::Status push(const Message& message);
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
  void break_ring();
  void notify_drained();

  AsioRuntime& rt_;
  std::unique_ptr<ShmRing> ring_;
  const uint64_t peer_pid_;
  const size_t queue_max_;
  const std::function<void()> drained_;
  std::unique_ptr<RingWaker> waker_;
  // Loop thread only.
  std::deque<Pending> queue_;
  uint32_t sequence_ = 0;
  bool refused_ = false;
  bool broken_ = false;
};

class ShmTransport::Reader : public std::enable_shared_from_this<Reader> {
 public:
  Reader(AsioRuntime& rt, NodeId from, std::unique_ptr<ShmRing> ring, uint64_t peer_pid,
         wire::FrameLimits limits);
  ~Reader();
  // Starts the waker, which posts drains to the loop. Call once, when the object is in a
  // shared_ptr.
  void start();
  // Closes the ring and stops the waker. Any thread; idempotent.
  void stop();

  // A drain turn delivers at most this much before yielding the loop to other work.
  static constexpr int kTurnFramesMax = 256;
  static constexpr size_t kTurnBytesMax = 16u << 20;

 private:
  void drain();
  // Decodes from one readable span; false if the ring must be abandoned.
  bool take_span(std::span<const char> bytes, int* frames, size_t* bytes_done);

  AsioRuntime& rt_;
  const NodeId from_;
  std::unique_ptr<ShmRing> ring_;
  const uint64_t peer_pid_;
  std::unique_ptr<RingWaker> waker_;
  wire::FrameDecoder decoder_;  // loop thread only
  std::atomic<bool> stopped_{false};
};

// True if process `pid` exists (or cannot be checked).
bool process_alive(uint64_t pid);

}  // namespace cairn::real
