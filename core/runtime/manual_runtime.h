// A hand-driven cluster of runtimes for unit tests of core logic (a test tool, not a
// third runtime): one virtual clock, one event queue, messages delivered after a fixed
// latency unless a test's filter drops them, disks in memory with crash semantics.
//
// Deterministic: events due at the same time run in the order they were queued, and each
// node's Rng is derived from the cluster seed and the node id.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "core/runtime/mem_disk.h"
#include "core/runtime/runtime.h"

namespace cairn {

class ManualCluster;

class ManualRuntime final : public Runtime {
 public:
  ManualRuntime(ManualCluster& cluster, NodeId id, uint64_t seed);

  NodeId self() const override { return id_; }
  Time now() const override;
  TimerId after(Duration delay, Callback fn) override;
  void cancel(TimerId id) override;
  void send(NodeId to, Message message) override;
  Rng& rng() override { return rng_; }
  Disk& disk() override { return *disk_; }
  void compute(Cost cost, Callback work, Callback done) override;
  Log& log() override { return *log_; }
  Metrics& metrics() override { return metrics_; }

  MemDisk& mem_disk() { return mem_disk_; }
  // Disk operations complete this long after they are issued (default: at once, on a
  // zero-delay timer): a slow disk for FaultyDisk's added latency.
  void set_disk_latency(Duration latency) { disk_latency_ = latency; }
  // Events this node reported, in order.
  const std::vector<Event>& events() const { return events_; }

 private:
  friend class ManualCluster;
  class ManualDisk;
  class ManualLog;

  ManualCluster& cluster_;
  NodeId id_;
  Rng rng_;
  MemDisk mem_disk_;
  Duration disk_latency_ = Duration(0);
  std::unique_ptr<Disk> disk_;
  std::unique_ptr<Log> log_;
  Metrics metrics_;
  std::vector<Event> events_;
};

class ManualCluster {
 public:
  using Handler = std::function<void(NodeId from, const Message&)>;
  // Returns false to drop the message.
  using Filter = std::function<bool(NodeId from, NodeId to, const Message&)>;

  explicit ManualCluster(uint64_t seed) : seed_(seed) {}

  // REQUIRES: id != kNoNode and not added before.
  ManualRuntime& add_node(NodeId id);
  ManualRuntime& node(NodeId id);
  void set_handler(NodeId id, Handler handler) { handlers_[id] = std::move(handler); }

  Time now() const { return now_; }
  // Runs every event due within `d`, in time order, then sets the clock to now + d.
  void advance(Duration d);
  // Crash: the node's pending timers, completions and incoming messages are dropped, its
  // disk loses what was not synced, and its handler is removed (the test rebuilds it).
  void crash(NodeId id);
  bool is_up(NodeId id) const;
  void restart(NodeId id);

  Duration latency = std::chrono::milliseconds(1);
  Filter filter;
  uint64_t messages_delivered = 0;
  uint64_t messages_dropped = 0;

 private:
  friend class ManualRuntime;
  struct Pending {
    Time at;
    uint64_t seq;
    NodeId node;
    uint64_t epoch;  // the node's incarnation when queued; stale events are skipped
    std::function<void()> fn;
    bool operator>(const Pending& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  uint64_t schedule(Time at, NodeId node, std::function<void()> fn);
  bool live(const Pending& p) const;

  uint64_t seed_;
  Time now_{};
  uint64_t seq_ = 0;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> queue_;
  std::map<NodeId, std::unique_ptr<ManualRuntime>> nodes_;
  std::map<NodeId, Handler> handlers_;
  std::map<NodeId, uint64_t> epoch_;
  std::map<NodeId, bool> up_;
  std::map<uint64_t, bool> cancelled_;
};

}  // namespace cairn
