// The real Runtime: one Asio event loop (one thread) per node, steady-clock timers, a
// shared worker pool for compute(), and the disk's own I/O threads (file_disk.h).
//
// Promises (those of core/runtime/runtime.h): every callback core sees — timers, message
// deliveries, disk and compute completions — runs on the node's loop thread, one at a
// time. Timers due at the same instant fire in the order they were set. After stop() no
// further callback runs, and stop() waits until no worker still holds a reference to this
// runtime, so the object may then be destroyed.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "core/runtime/runtime.h"
#include "runtime-real/host/asio.h"

namespace spdlog {
class logger;
}

namespace cairn::real {

class FileDisk;

class AsioRuntime final : public Runtime {
 public:
  // Where send() hands messages for other nodes (the transport). Runs on the loop.
  using Sender = std::function<void(NodeId to, Message message)>;
  // Where messages for this node go (normally Node::deliver). Runs on the loop.
  using Receiver = std::function<void(NodeId from, const Message& message)>;

  static constexpr int kDefaultDiskThreads = 8;

  // REQUIRES: self != kNoNode; `workers` outlives this runtime; disk_threads >= 1 (the
  // most disk operations in flight at once).
  AsioRuntime(NodeId self, std::string data_dir, asio::thread_pool& workers,
              std::shared_ptr<spdlog::logger> logger, uint64_t seed,
              int disk_threads = kDefaultDiskThreads);
  ~AsioRuntime() override;

  NodeId self() const override { return self_; }
  Time now() const override;
  int64_t wall_ms() const override;
  TimerId after(Duration delay, Callback fn) override;
  void cancel(TimerId id) override;
  void send(NodeId to, Message message) override;
  Rng& rng() override { return rng_; }
  Disk& disk() override;
  void compute(Cost cost, Callback work, Callback done) override;
  Log& log() override { return *log_; }
  Metrics& metrics() override { return metrics_; }

  void set_sender(Sender sender) { sender_ = std::move(sender); }
  void set_receiver(Receiver receiver) { receiver_ = std::move(receiver); }
  // Hands an arrived message to the receiver. Loop thread only.
  void deliver(NodeId from, const Message& message);

  asio::io_context& io() { return io_; }
  const std::string& data_dir() const { return data_dir_; }
  spdlog::logger& logger() { return *logger_; }

  // Starts the loop thread. REQUIRES: not started.
  void start();
  // Stops the loop, joins it and waits for offloaded work to finish. Idempotent.
  void stop();
  bool running() const { return loop_.joinable() && !stopped_.load(); }
  bool on_loop_thread() const { return std::this_thread::get_id() == loop_id_.load(); }

  // Runs `fn` on the loop thread (callable from any thread; dropped after stop()).
  void post(std::function<void()> fn);
  // Runs `work` on the shared worker pool, then `done` on the loop.
  void offload(std::function<void()> work, std::function<void()> done);
  // The same on `pool` (the disk's I/O threads). stop() waits for it too.
  void offload(asio::thread_pool& pool, std::function<void()> work, std::function<void()> done);
  // Runs `fn` on the loop and waits for it. REQUIRES: started, not on the loop thread.
  void run_sync(const std::function<void()>& fn);

 private:
  void arm_timer();
  void fire_due_timers();
  // `work` then `done` posted to the loop, counted in outstanding_ until it ran.
  std::function<void()> tracked(std::function<void()> work, std::function<void()> done);

  const NodeId self_;
  const std::string data_dir_;
  asio::thread_pool& workers_;
  std::shared_ptr<spdlog::logger> logger_;
  Rng rng_;
  std::unique_ptr<Log> log_;
  Metrics metrics_;
  std::unique_ptr<FileDisk> disk_;
  Sender sender_;
  Receiver receiver_;

  asio::io_context io_;
  std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> work_guard_;
  std::thread loop_;
  std::atomic<std::thread::id> loop_id_{};
  std::atomic<bool> stopped_{false};

  // Timers, loop thread only: one Asio timer armed for the earliest entry.
  asio::steady_timer timer_;
  std::map<std::pair<Time, TimerId>, Callback> timers_;
  absl::flat_hash_map<TimerId, Time> timer_due_;
  TimerId next_timer_ = 1;

  // Offloaded work still running, so that stop() can wait for it.
  absl::Mutex mu_;
  int64_t outstanding_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cairn::real
