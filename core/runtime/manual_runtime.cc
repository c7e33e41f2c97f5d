#include "core/runtime/manual_runtime.h"

#include "core/base/assert.h"

namespace cairn {

// Every operation takes effect when issued and completes on a zero-delay timer. Like the
// simulator's disk, it keeps virtual bytes as a length (disk.h).
class ManualRuntime::ManualDisk final : public Disk {
 public:
  explicit ManualDisk(ManualRuntime& rt) : rt_(rt) {}
  using Disk::append;
  using Disk::append_sync;
  using Disk::write;
  void write(const std::string& name, Payload bytes, Done done) override {
    finish(std::move(done), rt_.mem_disk_.write(name, bytes));
  }
  void append(const std::string& name, Payload bytes, Done done) override {
    finish(std::move(done), rt_.mem_disk_.append(name, bytes));
  }
  void read(const std::string& name, ReadDone done) override {
    later(std::move(done), rt_.mem_disk_.read(name));
  }
  void read_range(const std::string& name, uint64_t offset, uint64_t length,
                  ReadDone done) override {
    later(std::move(done), rt_.mem_disk_.read_range(name, offset, length));
  }
  void read_payload(const std::string& name, uint64_t offset, uint64_t length,
                    PayloadDone done) override {
    later(std::move(done), rt_.mem_disk_.read_payload(name, offset, length));
  }
  void stat(const std::string& name, StatDone done) override {
    later(std::move(done), rt_.mem_disk_.stat(name));
  }
  void sync(const std::string& name, Done done) override {
    finish(std::move(done), rt_.mem_disk_.sync(name));
  }
  void append_sync(const std::string& name, Payload bytes, Done done) override {
    finish(std::move(done), rt_.mem_disk_.append_sync(name, bytes));
  }
  void rename(const std::string& from, const std::string& to, Done done) override {
    finish(std::move(done), rt_.mem_disk_.rename(from, to));
  }
  void remove(const std::string& name, Done done) override {
    finish(std::move(done), rt_.mem_disk_.remove(name));
  }
  void sync_dir(Done done) override {
    rt_.mem_disk_.sync_dir();
    finish(std::move(done), absl::OkStatus());
  }
  void list(const std::string& prefix, ListDone done) override {
    later(std::move(done), absl::StatusOr<std::vector<std::string>>(rt_.mem_disk_.list(prefix)));
  }
  void list_dir(const std::string& dir, DirDone done) override {
    later(std::move(done), rt_.mem_disk_.list_dir(dir));
  }
  void space(SpaceDone done) override {
    later(std::move(done), absl::StatusOr<DiskSpace>(rt_.mem_disk_.space()));
  }

 private:
  void finish(Done done, absl::Status status) {
    rt_.after(rt_.disk_latency_, [done = std::move(done), status]() {
      if (done) done(status);
    });
  }
  template <typename Callback, typename Result>
  void later(Callback done, Result result) {
    rt_.after(rt_.disk_latency_, [done = std::move(done), result = std::move(result)]() {
      if (done) done(result);
    });
  }
  ManualRuntime& rt_;
};

class ManualRuntime::ManualLog final : public Log {
 public:
  explicit ManualLog(ManualRuntime& rt) : rt_(rt) {}
  void write(LogLevel, std::string_view) override {}
  void event(Event e) override { rt_.events_.push_back(std::move(e)); }
  bool enabled(LogLevel) const override { return false; }

 private:
  ManualRuntime& rt_;
};

ManualRuntime::ManualRuntime(ManualCluster& cluster, NodeId id, uint64_t seed)
    : cluster_(cluster),
      id_(id),
      rng_(seed),
      disk_(std::make_unique<ManualDisk>(*this)),
      log_(std::make_unique<ManualLog>(*this)) {}

Time ManualRuntime::now() const { return cluster_.now(); }

TimerId ManualRuntime::after(Duration delay, Callback fn) {
  if (delay < Duration(0)) delay = Duration(0);
  return cluster_.schedule(cluster_.now_ + delay, id_, std::move(fn));
}

void ManualRuntime::cancel(TimerId id) { cluster_.cancelled_[id] = true; }

void ManualRuntime::send(NodeId to, Message message) {
  const NodeId from = id_;
  if (cluster_.filter && !cluster_.filter(from, to, message)) {
    ++cluster_.messages_dropped;
    return;
  }
  if (!cluster_.nodes_.contains(to)) {
    ++cluster_.messages_dropped;
    return;
  }
  ManualCluster& c = cluster_;
  c.schedule(c.now_ + c.latency, to, [&c, from, to, m = std::move(message)]() {
    auto it = c.handlers_.find(to);
    if (it == c.handlers_.end() || !it->second) return;
    ++c.messages_delivered;
    it->second(from, m);
  });
}

void ManualRuntime::compute(Cost, Callback work, Callback done) {
  after(Duration(0), [work = std::move(work), done = std::move(done)]() {
    if (work) work();
    if (done) done();
  });
}

ManualRuntime& ManualCluster::add_node(NodeId id) {
  CAIRN_ASSERT(id != kNoNode);
  CAIRN_ASSERT(!nodes_.contains(id));
  nodes_[id] = std::make_unique<ManualRuntime>(*this, id, Rng::derive(seed_, id));
  up_[id] = true;
  epoch_[id] = 1;
  return *nodes_[id];
}

ManualRuntime& ManualCluster::node(NodeId id) {
  CAIRN_ASSERT(nodes_.contains(id));
  return *nodes_.at(id);
}

uint64_t ManualCluster::schedule(Time at, NodeId node, std::function<void()> fn) {
  const uint64_t seq = ++seq_;
  queue_.push(Pending{at, seq, node, epoch_[node], std::move(fn)});
  return seq;
}

bool ManualCluster::live(const Pending& p) const {
  if (cancelled_.contains(p.seq)) return false;
  auto up = up_.find(p.node);
  auto epoch = epoch_.find(p.node);
  return up != up_.end() && up->second && epoch->second == p.epoch;
}

void ManualCluster::advance(Duration d) {
  CAIRN_ASSERT(d >= Duration(0));
  const Time end = now_ + d;
  while (!queue_.empty() && queue_.top().at <= end) {
    Pending p = queue_.top();
    queue_.pop();
    now_ = p.at;
    if (live(p)) p.fn();
    cancelled_.erase(p.seq);
  }
  now_ = end;
}

void ManualCluster::crash(NodeId id) {
  CAIRN_ASSERT(nodes_.contains(id));
  up_[id] = false;
  ++epoch_[id];
  handlers_.erase(id);
  ManualRuntime& rt = *nodes_.at(id);
  rt.mem_disk_.crash(rt.rng_, CrashDamage{});
}

bool ManualCluster::is_up(NodeId id) const {
  auto it = up_.find(id);
  return it != up_.end() && it->second;
}

void ManualCluster::restart(NodeId id) {
  CAIRN_ASSERT(nodes_.contains(id));
  up_[id] = true;
  ++epoch_[id];
}

}  // namespace cairn
