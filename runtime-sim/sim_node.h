// One simulated node: the Runtime that core logic sees inside cairn-sim.
//
// Each boot runs an actor on the node's host. The actor owns the node's event loop: it
// fires due timers, runs what is ready (arrived messages, finished disk or CPU work) one
// item at a time in arrival order, then parks until the next timer or the next arrival —
// so simulated time, not wall time, paces everything. Messages are handed to the node by
// the World (arrive()); disk I/O and computations run on the node's worker actors (see
// parking.h) and post their completions back. A crash kills the actor and its workers and
// drops the services, timers and pending work (volatile state), keeping only what the
// MemDisk had synced; a restart boots a fresh actor and services. A pause freezes the
// node: whatever arrives meanwhile waits until it ends.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <simgrid/s4u.hpp>
#include <string>
#include <vector>

#include "core/runtime/faulty_disk.h"
#include "core/runtime/mem_disk.h"
#include "core/runtime/runtime.h"
#include "core/runtime/service.h"
#include "runtime-sim/parking.h"
#include "runtime-sim/scenario.h"
#include "runtime-sim/timer_queue.h"

namespace cairn::sim {

class World;

// A message in flight; owned by the World until received.
struct Envelope {
  NodeId from;
  NodeId to;
  Message message;
  Time sent_at;
  // Extra delay of a link fault, added to the transfer time: a message is on the wire
  // once sent, so its sender crashing cannot take it back.
  Duration hold = Duration(0);
  // The kernel timer that will hand it to the receiver, while one is pending.
  simgrid::kernel::timer::Timer* timer = nullptr;
};

class SimNode final : public Runtime {
 public:
  SimNode(World& world, const NodeSpec& spec, simgrid::s4u::Host* host, simgrid::s4u::Disk* disk,
          uint64_t seed);
  ~SimNode() override;

  // Runtime.
  NodeId self() const override { return spec_.id; }
  Time now() const override;
  TimerId after(Duration delay, Callback fn) override;
  void cancel(TimerId id) override;
  void send(NodeId to, Message message) override;
  Rng& rng() override { return rng_; }
  Disk& disk() override { return *disk_; }
  // The fault model wrapped around the node's disk (disk faults of the scenario).
  FaultyDisk& faulty_disk() { return *disk_; }
  void compute(Cost cost, Callback work, Callback done) override;
  Log& log() override { return *log_; }
  Metrics& metrics() override { return metrics_; }

  // Called by the fault injector (another actor).
  void boot();
  void crash(const CrashDamage& damage);
  // A lost disk: every file is gone, synced or not; the disk's capacity and fault settings
  // stay (a blank disk in the same slot). REQUIRES: the node is down.
  void lose_disk();
  void pause_until(Time until) { paused_until_ = std::max(paused_until_, until); }
  // Called by the World (kernel context) when a message to this node has arrived; takes
  // ownership. A node that is down drops it (counted as stale).
  void arrive(Envelope* envelope);
  void set_disk_factor(double factor) { disk_factor_ = factor; }
  // Runs `fn` on the node's loop as soon as it gets there (any context; an operator's
  // request to this node). A crash drops it.
  void run(Callback fn) { post(Ready{nullptr, std::move(fn)}); }

  bool up() const { return up_; }
  // Whether the node's actor and its workers have all run since they were created: a crash
  // needs them parked (SimGrid cannot cleanly kill an actor that has not run yet).
  bool settled() const { return started_ && workers_.starting() == 0; }
  const NodeSpec& spec() const { return spec_; }
  Node* node() { return node_.get(); }
  MemDisk& mem_disk() { return mem_disk_; }
  double disk_factor() const { return disk_factor_; }
  simgrid::s4u::Disk* sg_disk() { return sg_disk_; }
  simgrid::s4u::Host* host() { return host_; }

  // Runs `blocking` (SimGrid work that blocks: a disk I/O, an execution) on one of the
  // node's workers, then `done` on the node's loop. A crash drops both.
  void offload(std::function<void()> blocking, Callback done);

 private:
  class SimDisk;
  class SimLog;

  void loop();
  void fire_due_timers();
  // After each step of the loop: invariants, then what the World observes.
  void stepped();
  void receive(Envelope* envelope);
  // Queues `item` for the loop and wakes it (any context).
  struct Ready {
    Envelope* envelope = nullptr;  // a message, or else
    Callback done;                 // a completion
  };
  void post(Ready item);
  // Frees a message that will never be read, counting it stale.
  void drop_stale(Envelope* envelope);
  void put(NodeId to, Message message, Time sent_at, Duration hold);

  World& world_;
  NodeSpec spec_;
  simgrid::s4u::Host* host_;
  simgrid::s4u::Disk* sg_disk_;
  Rng rng_;
  Rng fault_rng_;  // network-fault draws; separate so faults do not perturb the protocol's
  MemDisk mem_disk_;
  std::unique_ptr<SimDisk> sim_disk_;
  std::unique_ptr<FaultyDisk> disk_;     // wraps sim_disk_
  Duration disk_latency_ = Duration(0);  // added to every disk operation (a disk fault)
  std::unique_ptr<Log> log_;
  Metrics metrics_;
  std::unique_ptr<Node> node_;
  simgrid::s4u::ActorPtr actor_;
  bool up_ = false;
  bool started_ = false;  // the node's actor has run since its last boot
  Time booted_at_{};
  Time paused_until_{};
  double disk_factor_ = 1;

  TimerQueue timers_;
  std::deque<Ready> ready_;
  Parking parking_;
  WorkerPool workers_;
};

}  // namespace cairn::sim
