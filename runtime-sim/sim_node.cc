#include "runtime-sim/sim_node.h"

#include <cmath>
#include <deque>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "runtime-sim/sim_world.h"

namespace sg4 = simgrid::s4u;

namespace cairn::sim {

// The simulated disk: MemDisk for contents and crash semantics, SimGrid's disk model for
// how long reads and writes take (charged by the bytes actually read or written), the
// scenario's sync latency for fsync, and the disk's added latency (a disk fault) on top
// of every operation. Each operation takes effect when issued; with the scenario's disk
// `parallel: N`, its time starts only once fewer than N operations are under way, in the
// order issued (cairnd's FileDisk runs one at a time). Virtual bytes (disk.h) are kept as
// a length and charged in time and space like real ones.
class SimNode::SimDisk final : public Disk {
 public:
  explicit SimDisk(SimNode& n) : n_(n) {}
  using Disk::append;
  using Disk::append_sync;
  using Disk::write;

  void write(const std::string& name, Payload bytes, Done done) override {
    const absl::Status st = n_.mem_disk_.write(name, bytes);
    note_full(name, st);
    io(st.ok() ? bytes.size() : 0, false, [done = std::move(done), st] { done(st); });
  }
  void append(const std::string& name, Payload bytes, Done done) override {
    const absl::Status st = n_.mem_disk_.append(name, bytes);
    note_full(name, st);
    io(st.ok() ? bytes.size() : 0, false, [done = std::move(done), st] { done(st); });
  }
  void read(const std::string& name, ReadDone done) override {
    auto size = n_.mem_disk_.stat(name);
    io(size.ok() ? size->size_bytes : 0, true,
       [this, name, done = std::move(done)] { done(n_.mem_disk_.read(name)); });
  }
  // The size charged is taken before `bytes` moves into the callback: as arguments of one
  // call, the two may be evaluated in either order (GCC moved first, so every read_range()
  // was charged nothing).
  void read_range(const std::string& name, uint64_t offset, uint64_t length,
                  ReadDone done) override {
    auto bytes = n_.mem_disk_.read_range(name, offset, length);
    const uint64_t charged = bytes.ok() ? bytes->size() : 0;
    io(charged, true, [done = std::move(done), bytes = std::move(bytes)] { done(bytes); });
  }
  void read_payload(const std::string& name, uint64_t offset, uint64_t length,
                    PayloadDone done) override {
    auto bytes = n_.mem_disk_.read_payload(name, offset, length);
    const uint64_t charged = bytes.ok() ? bytes->bytes.size() : 0;
    io(charged, true, [done = std::move(done), bytes = std::move(bytes)] { done(bytes); });
  }
  void stat(const std::string& name, StatDone done) override {
    wait(n_.disk_latency_, [done = std::move(done), st = n_.mem_disk_.stat(name)] { done(st); });
  }
  void sync(const std::string& name, Done done) override {
    // Durable only once the sync completes: a crash before then loses the data.
    wait(sync_latency(), [this, name, done = std::move(done)] { done(n_.mem_disk_.sync(name)); });
  }
  void rename(const std::string& from, const std::string& to, Done done) override {
    wait(n_.disk_latency_,
         [done = std::move(done), st = n_.mem_disk_.rename(from, to)] { done(st); });
  }
  void remove(const std::string& name, Done done) override {
    wait(n_.disk_latency_, [done = std::move(done), st = n_.mem_disk_.remove(name)] { done(st); });
  }
  void sync_dir(Done done) override {
    wait(sync_latency(), [this, done = std::move(done)] {
      n_.mem_disk_.sync_dir();
      done(absl::OkStatus());
    });
  }
  void list(const std::string& prefix, ListDone done) override {
    wait(n_.disk_latency_,
         [this, prefix, done = std::move(done)] { done(n_.mem_disk_.list(prefix)); });
  }
  void list_dir(const std::string& dir, DirDone done) override {
    wait(n_.disk_latency_,
         [this, dir, done = std::move(done)] { done(n_.mem_disk_.list_dir(dir)); });
  }
  void space(SpaceDone done) override {
    wait(n_.disk_latency_, [this, done = std::move(done)] { done(n_.mem_disk_.space()); });
  }
  // A crash drops the operations under way and waiting (their callbacks went with it).
  void reset() {
    waiting_.clear();
    busy_ = 0;
  }

 private:
  // A write refused for want of space (a `full` or `capacity` disk fault) goes to the trace.
  void note_full(const std::string& name, const absl::Status& st) {
    if (absl::IsResourceExhausted(st)) n_.log_->event(Event{"disk_full", {{"file", name}}});
  }
  Duration sync_latency() const {
    const double ns = static_cast<double>(n_.world_.scenario().disk.sync_latency.count());
    return Duration(static_cast<int64_t>(std::llround(ns * n_.disk_factor_))) + n_.disk_latency_;
  }
  using Charge = std::function<void(Callback)>;
  // Charges an operation's time, then calls `done`: at once, or with the scenario's
  // `parallel` once fewer than that many are under way, first issued first served.
  void timed(Charge charge, Callback done) {
    const int64_t limit = n_.world_.scenario().disk.parallel;
    if (limit <= 0) return charge(std::move(done));
    waiting_.emplace_back(std::move(charge), std::move(done));
    pump(limit);
  }
  void pump(int64_t limit) {
    while (busy_ < limit && !waiting_.empty()) {
      auto [charge, done] = std::move(waiting_.front());
      waiting_.pop_front();
      ++busy_;
      charge([this, limit, done = std::move(done)] {
        --busy_;
        done();
        pump(limit);
      });
    }
  }
  void wait(Duration d, Callback done) {
    timed([this, d](Callback finish) { n_.after(d, std::move(finish)); }, std::move(done));
  }
  void io(uint64_t bytes, bool read, Callback done) {
    timed([this, bytes, read](Callback finish) { charge_io(bytes, read, std::move(finish)); },
          std::move(done));
  }
  void charge_io(uint64_t bytes, bool read, Callback done) {
    const auto size =
        static_cast<sg_size_t>(std::llround(static_cast<double>(bytes) * n_.disk_factor_));
    const double extra_s = to_seconds(n_.disk_latency_);
    if (size == 0) {
      n_.after(n_.disk_latency_, std::move(done));
      return;
    }
    sg4::Disk* disk = n_.sg_disk_;
    n_.offload(
        [disk, size, read, extra_s] {
          read ? disk->read(size) : disk->write(size);
          if (extra_s > 0) sg4::this_actor::sleep_for(extra_s);
        },
        std::move(done));
  }
  SimNode& n_;
  std::deque<std::pair<Charge, Callback>> waiting_;
  int64_t busy_ = 0;
};

class SimNode::SimLog final : public Log {
 public:
  explicit SimLog(SimNode& n) : n_(n) {}
  void write(LogLevel level, std::string_view text) override {
    if (!enabled(level)) return;
    std::fprintf(stderr, "[%s] %s %s: %.*s\n", format_time(n_.now()).c_str(), n_.spec_.name.c_str(),
                 std::string(log_level_name(level)).c_str(), static_cast<int>(text.size()),
                 text.data());
  }
  void event(Event e) override { n_.world_.record(n_.now(), n_.spec_.id, e); }
  bool enabled(LogLevel level) const override {
    return n_.world_.verbose() || level >= LogLevel::kWarn;
  }

 private:
  SimNode& n_;
};

SimNode::SimNode(World& world, const NodeSpec& spec, sg4::Host* host, sg4::Disk* disk,
                 uint64_t seed)
    : world_(world),
      spec_(spec),
      host_(host),
      sg_disk_(disk),
      rng_(Rng::derive(seed, spec.id)),
      fault_rng_(Rng::derive(seed, (uint64_t{1} << 32) | spec.id)),
      sim_disk_(std::make_unique<SimDisk>(*this)),
      disk_(std::make_unique<FaultyDisk>(
          *sim_disk_, Rng(Rng::derive(seed, (uint64_t{2} << 32) | spec.id)),
          FaultyDisk::Hooks{.set_added_latency = [this](Duration d) { disk_latency_ = d; },
                            .on_fault = [this](Event e) { log_->event(std::move(e)); }})),
      log_(std::make_unique<SimLog>(*this)),
      workers_(host, spec.name + "-worker") {}

SimNode::~SimNode() = default;

Time SimNode::now() const { return World::now(); }

TimerId SimNode::after(Duration delay, Callback fn) {
  return timers_.add(now() + std::max(delay, Duration(0)), std::move(fn));
}

void SimNode::cancel(TimerId id) { timers_.cancel(id); }

void SimNode::send(NodeId to, Message message) {
  NetworkStats& stats = world_.stats();
  ++stats.sent;
  stats.bytes += message.wire_size();
  if (to == kNoNode || to > world_.endpoints()) return;
  // With the transport model, a message may first wait for a connection (it goes on the
  // wire later, possibly to the receiver's next life) or find none.
  Duration wait{0};
  if (ConnectionModel* c = world_.connections(); c != nullptr && to != spec_.id) {
    const ConnectionModel::Fate fate = c->send(spec_.id, to, now());
    if (!fate.deliver) {
      ++stats.unreachable;
      return;
    }
    wait = fate.wait;
  }
  const Delivery d = world_.network().decide(spec_.id, to, fault_rng_);
  if (d.copies == 0) {
    ++(world_.network().blocked(spec_.id, to) ? stats.blocked : stats.lost);
    return;
  }
  const Time sent_at = now() + wait;
  if (d.copies == 2) {
    ++stats.duplicated;
    put(to, message, sent_at, wait + d.second_delay);
  }
  put(to, std::move(message), sent_at, wait + d.extra_delay);
}

void SimNode::put(NodeId to, Message message, Time sent_at, Duration hold) {
  world_.transmit(new Envelope{spec_.id, to, std::move(message), sent_at, hold});
}

void SimNode::compute(Cost cost, Callback work, Callback done) {
  auto finish = [work = std::move(work), done = std::move(done)] {
    if (work) work();
    if (done) done();
  };
  if (cost.flops <= 0) {
    after(Duration(0), std::move(finish));
    return;
  }
  const double flops = cost.flops;
  offload([flops] { sg4::this_actor::execute(flops); }, std::move(finish));
}

void SimNode::offload(std::function<void()> blocking, Callback done) {
  workers_.run([this, blocking = std::move(blocking), done = std::move(done)]() mutable {
    blocking();
    post(Ready{nullptr, std::move(done)});
  });
}

void SimNode::post(Ready item) {
  ready_.push_back(std::move(item));
  parking_.wake();
}

void SimNode::arrive(Envelope* e) {
  if (!up_) return drop_stale(e);  // sent to a node that is down
  post(Ready{e, nullptr});
}

void SimNode::drop_stale(Envelope* e) {
  ++world_.stats().stale;
  world_.untrack(e);
  delete e;
}

void SimNode::boot() {
  CAIRN_ASSERT(!up_);
  up_ = true;
  started_ = false;
  booted_at_ = now();
  paused_until_ = Time{};
  node_ = std::make_unique<Node>(*this);
  if (absl::Status st = world_.install_roles(*node_, *this, spec_); !st.ok()) {
    // The scenario was validated against the same roles: this is a bug, not bad input.
    std::fprintf(stderr, "%s: %s\n", spec_.name.c_str(), std::string(st.message()).c_str());
    CAIRN_ASSERT(false);
  }
  if (world_.options().extra_service) {
    auto st = node_->add(world_.options().extra_service(*this, spec_));
    CAIRN_ASSERT(st.ok());
  }
  // The actor may run before create() returns to a calling actor: it binds itself.
  actor_ = sg4::Actor::create(spec_.name, host_, [this] {
    started_ = true;
    parking_.attach(sg4::ActorPtr(sg4::Actor::self()));
    node_->start();
    loop();
  });
}

void SimNode::crash(const CrashDamage& damage) {
  CAIRN_ASSERT(up_);
  CAIRN_ASSERT(started_);  // SimGrid cannot kill an actor that has not run yet
  up_ = false;
  // The actor is parked (actors run one at a time), so nothing of the node is on its
  // stack but the park itself: dropping the node's state here is safe.
  parking_.attach(nullptr);
  actor_->kill();
  actor_ = nullptr;
  workers_.kill_all();
  node_.reset();
  timers_.clear();
  for (Ready& r : ready_) {
    if (r.envelope != nullptr) drop_stale(r.envelope);  // arrived, but never read
  }
  ready_.clear();
  sim_disk_->reset();
  mem_disk_.crash(fault_rng_, damage);
}

void SimNode::lose_disk() {
  CAIRN_ASSERT(!up_);
  const uint64_t capacity = mem_disk_.capacity();
  mem_disk_ = MemDisk();
  if (capacity != MemDisk::kUnlimited) mem_disk_.set_capacity(capacity);
  CAIRN_ASSERT(mem_disk_.bytes_stored() == 0);
}

void SimNode::fire_due_timers() {
  while (std::optional<Callback> fn = timers_.pop_due(now())) {
    (*fn)();
    stepped();
  }
}

void SimNode::receive(Envelope* e) {
  world_.untrack(e);
  std::unique_ptr<Envelope> owned(e);
  NetworkStats& stats = world_.stats();
  if (e->sent_at < booted_at_) {
    ++stats.stale;  // sent to an earlier life of this node
    return;
  }
  if (world_.network().blocked(e->from, spec_.id)) {
    ++stats.blocked;  // a partition began while it was in flight
    return;
  }
  ++stats.delivered;
  node_->deliver(e->from, e->message);
  stepped();
}

void SimNode::stepped() {
  node_->check_invariants();
  world_.after_step(spec_.id);
}

void SimNode::loop() {
  while (true) {
    if (paused_until_ > now()) {
      parking_.park(to_seconds(paused_until_));
      continue;
    }
    fire_due_timers();
    if (!ready_.empty()) {
      Ready r = std::move(ready_.front());
      ready_.pop_front();
      if (r.envelope != nullptr) {
        receive(r.envelope);
      } else {
        r.done();
        stepped();
      }
      continue;
    }
    const std::optional<Time> next = timers_.next();
    parking_.park(next ? to_seconds(*next) : -1.0);
  }
}

}  // namespace cairn::sim
