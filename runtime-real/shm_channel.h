// The two ends of one shared-memory ring: a Writer thread that frames queued messages
// into it and a Reader thread that decodes frames out of it and posts them to the node's
// loop. Both stop when the ring closes, when the other side's process is gone, or on
// stop(); both are bounded (the writer's queue, the reader's messages in flight).
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "core/runtime/message.h"
#include "runtime-real/shm_ring.h"
#include "runtime-real/shm_transport.h"

namespace cairn::real {

class AsioRuntime;

class ShmTransport::Writer {
 public:
  // Starts the thread. `peer_pid` is the reading process, watched for liveness.
  Writer(std::unique_ptr<ShmRing> ring, uint64_t peer_pid, size_t queue_max);
  ~Writer();  // stops and joins
  // ResourceExhausted when the queue is full, Unavailable once the ring is broken.
  absl::Status push(const Message& message);
  bool broken() const { return broken_.load(); }
  void stop();

 private:
  void run();
  bool write_all(const char* data, size_t size);

  std::unique_ptr<ShmRing> ring_;
  const uint64_t peer_pid_;
  const size_t queue_max_;
  absl::Mutex mu_;
  std::deque<Message> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> broken_{false};
  uint32_t sequence_ = 0;  // writer thread only
  std::thread thread_;
};

class ShmTransport::Reader {
 public:
  Reader(AsioRuntime& rt, NodeId from, std::unique_ptr<ShmRing> ring, uint64_t peer_pid);
  ~Reader();  // stops and joins
  void stop();

 private:
  void run();
  bool deliver(Message message);

  static constexpr int kInFlightMax = 64;

  AsioRuntime& rt_;
  const NodeId from_;
  std::unique_ptr<ShmRing> ring_;
  const uint64_t peer_pid_;
  std::atomic<bool> stopping_{false};
  // Messages posted to the loop and not yet delivered (bounds the loop's queue).
  std::shared_ptr<std::atomic<int>> in_flight_ = std::make_shared<std::atomic<int>>(0);
  std::thread thread_;
};

// True if process `pid` exists (or cannot be checked).
bool process_alive(uint64_t pid);

}  // namespace cairn::real
