#include "runtime-real/host/asio_runtime.h"

#include <spdlog/spdlog.h>

#include <future>

#include "core/base/assert.h"
#include "runtime-real/host/file_disk.h"
#include "runtime-real/host/spd_log.h"

namespace cairn::real {

AsioRuntime::AsioRuntime(NodeId self, std::string data_dir, asio::thread_pool& workers,
                         std::shared_ptr<spdlog::logger> logger, uint64_t seed, int disk_threads)
    : self_(self),
      data_dir_(std::move(data_dir)),
      workers_(workers),
      logger_(std::move(logger)),
      rng_(seed),
      log_(std::make_unique<SpdLog>(self, logger_)),
      timer_(io_) {
  CAIRN_ASSERT(self_ != kNoNode);
  disk_ = std::make_unique<FileDisk>(*this, data_dir_, disk_threads);
  work_guard_ = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
      io_.get_executor());
}

AsioRuntime::~AsioRuntime() { stop(); }

Time AsioRuntime::now() const {
  return Time(
      std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now().time_since_epoch()));
}

int64_t AsioRuntime::wall_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Disk& AsioRuntime::disk() { return *disk_; }

void AsioRuntime::start() {
  CAIRN_ASSERT(!loop_.joinable());
  loop_ = std::thread([this] {
    loop_id_.store(std::this_thread::get_id());
    io_.run();
  });
}

void AsioRuntime::stop() {
  if (stopped_.exchange(true)) return;
  work_guard_.reset();
  io_.stop();
  if (loop_.joinable()) loop_.join();
  // Offloaded work may still post completions into io_: wait until none is in flight.
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int64_t* n) { return *n == 0; }, &outstanding_));
}

void AsioRuntime::post(std::function<void()> fn) {
  if (stopped_.load()) return;
  asio::post(io_, std::move(fn));
}

void AsioRuntime::run_sync(const std::function<void()>& fn) {
  CAIRN_ASSERT(!on_loop_thread());
  std::promise<void> done;
  asio::post(io_, [&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

std::function<void()> AsioRuntime::tracked(std::function<void()> work, std::function<void()> done) {
  {
    absl::MutexLock lock(&mu_);
    ++outstanding_;
  }
  return [this, work = std::move(work), done = std::move(done)]() mutable {
    if (work) work();
    if (!stopped_.load()) asio::post(io_, std::move(done));
    absl::MutexLock lock(&mu_);
    --outstanding_;
  };
}

void AsioRuntime::offload(std::function<void()> work, std::function<void()> done) {
  asio::post(workers_, tracked(std::move(work), std::move(done)));
}

void AsioRuntime::offload(asio::thread_pool& pool, std::function<void()> work,
                          std::function<void()> done) {
  asio::post(pool, tracked(std::move(work), std::move(done)));
}

void AsioRuntime::compute(Cost, Callback work, Callback done) {
  offload(std::move(work), std::move(done));
}

TimerId AsioRuntime::after(Duration delay, Callback fn) {
  if (delay < Duration(0)) delay = Duration(0);
  const TimerId id = next_timer_++;
  const Time due = now() + delay;
  const bool earliest = timers_.empty() || due < timers_.begin()->first.first;
  timers_.emplace(std::make_pair(due, id), std::move(fn));
  timer_due_[id] = due;
  if (earliest) arm_timer();
  return id;
}

void AsioRuntime::cancel(TimerId id) {
  auto it = timer_due_.find(id);
  if (it == timer_due_.end()) return;
  timers_.erase({it->second, id});
  timer_due_.erase(it);
}

void AsioRuntime::arm_timer() {
  if (timers_.empty()) return;
  const Duration wait = timers_.begin()->first.first - now();
  timer_.expires_after(std::max(wait, Duration(0)));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;  // re-armed for an earlier timer
    fire_due_timers();
  });
}

void AsioRuntime::fire_due_timers() {
  // Snapshot the due set first: callbacks may set timers due "now", which run next round.
  const Time t = now();
  std::vector<TimerId> due;
  for (auto it = timers_.begin(); it != timers_.end() && it->first.first <= t; ++it) {
    due.push_back(it->first.second);
  }
  for (TimerId id : due) {
    auto idx = timer_due_.find(id);
    if (idx == timer_due_.end()) continue;  // cancelled by an earlier callback
    auto node = timers_.extract({idx->second, id});
    timer_due_.erase(idx);
    node.mapped()();
  }
  arm_timer();
}

void AsioRuntime::send(NodeId to, Message message) {
  if (to == self_) {
    asio::post(io_, [this, m = std::move(message)] { deliver(self_, m); });
    return;
  }
  if (sender_) sender_(to, std::move(message));
}

void AsioRuntime::deliver(NodeId from, const Message& message) {
  if (receiver_) receiver_(from, message);
}

}  // namespace cairn::real
