// One simulated node: the Runtime that core logic sees inside cairn-sim.
//
// Each boot runs an actor on the node's host. The actor owns the node's event loop: it
// fires due timers, then waits for the first of (next message, next disk or CPU
// completion, next timer) — so simulated time, not wall time, paces everything. A crash
// kills the actor and drops the services, timers and pending work (volatile state) and
// keeps only what the MemDisk had synced; a restart boots a fresh actor and services.
// A pause freezes the node: whatever arrives meanwhile waits until it ends.
#pragma once

#include <map>
#include <memory>
#include <simgrid/s4u.hpp>
#include <string>
#include <vector>

#include "core/runtime/mem_disk.h"
#include "core/runtime/runtime.h"
#include "core/runtime/service.h"
#include "runtime-sim/scenario.h"

namespace cairn::sim {

class World;

// A message in flight; owned by the World until received.
struct Envelope {
  NodeId from;
  NodeId to;
  Message message;
  Time sent_at;
  // Extra delay of a link fault, served at the receiver once the message has arrived: a
  // message is on the wire once sent, so its sender crashing cannot take it back.
  Duration hold = Duration(0);
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
  void compute(Cost cost, Callback work, Callback done) override;
  Log& log() override { return *log_; }
  Metrics& metrics() override { return metrics_; }

  // Called by the fault injector (another actor).
  void boot();
  void crash(const CrashDamage& damage);
  void pause_until(Time until) { paused_until_ = std::max(paused_until_, until); }
  void set_disk_factor(double factor) { disk_factor_ = factor; }

  bool up() const { return up_; }
  const NodeSpec& spec() const { return spec_; }
  Node* node() { return node_.get(); }
  MemDisk& mem_disk() { return mem_disk_; }
  double disk_factor() const { return disk_factor_; }
  simgrid::s4u::Disk* sg_disk() { return sg_disk_; }

  // Starts `activity` (already started) and calls `done` on the node's loop when it ends.
  void await(simgrid::s4u::ActivityPtr activity, Callback done);

 private:
  class SimDisk;
  class SimLog;

  void loop();
  void fire_due_timers();
  void receive(Envelope* envelope);
  void put(NodeId to, Message message, Time sent_at, Duration hold);

  World& world_;
  NodeSpec spec_;
  simgrid::s4u::Host* host_;
  simgrid::s4u::Disk* sg_disk_;
  simgrid::s4u::Mailbox* mailbox_;
  Rng rng_;
  Rng fault_rng_;  // network-fault draws; separate so faults do not perturb the protocol's
  MemDisk mem_disk_;
  std::unique_ptr<Disk> disk_;
  std::unique_ptr<Log> log_;
  Metrics metrics_;
  std::unique_ptr<Node> node_;
  simgrid::s4u::ActorPtr actor_;
  bool up_ = false;
  Time booted_at_{};
  Time paused_until_{};
  double disk_factor_ = 1;

  std::map<std::pair<Time, TimerId>, Callback> timers_;
  std::map<TimerId, Time> timer_due_;
  TimerId next_timer_ = 1;
  struct Pending {
    simgrid::s4u::ActivityPtr activity;
    Callback done;
  };
  std::vector<Pending> pending_;
  simgrid::s4u::CommPtr recv_;
  Envelope* recv_buf_ = nullptr;
};

}  // namespace cairn::sim
