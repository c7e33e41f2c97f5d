// How simulated nodes wait without paying for a SimGrid activity per event.
//
// Parking: an actor parks itself (suspends) until someone wakes it or until a date; a
// kernel timer wakes it at that date. Waking costs a fraction of what a SimGrid
// communication or wait_any does, which is what lets a node's event loop take one
// wake-up per message: cairn-sim delivers small messages by kernel timers and wakes the
// receiver (see World::transmit). wake() may be called from a kernel timer (it resumes
// the actor there and then) or from another actor (it defers the resume to a timer at the
// current date, so that it is never handled before the parking actor's own suspend).
//
// WorkerPool: an actor's activities are suspended while the actor is, so a parked node
// cannot own a disk read, an execution or a flow. The pool runs such blocking work on
// worker actors of the same host, created on demand and reused; kill_all() ends every
// worker (a crash). Both classes must outlive the simulation's pending timers (they are
// owned by SimNode and World, which live for the whole run).
#pragma once

#include <functional>
#include <memory>
#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u.hpp>
#include <string>
#include <vector>

namespace cairn::sim {

class Parking {
 public:
  Parking() = default;
  Parking(const Parking&) = delete;
  Parking& operator=(const Parking&) = delete;
  ~Parking();

  // Binds the actor that parks here (nullptr: none, e.g. after a crash). Cancels any
  // pending wake-up date.
  void attach(simgrid::s4u::ActorPtr actor);
  // Called by the attached actor: blocks until wake() or until simulated time `date`
  // (seconds; negative: no date). Returns at once if a wake-up came in between.
  void park(double date);
  // Any context. Does nothing unless the actor is parked.
  void wake();

 private:
  void wake_in_kernel();
  void cancel_timer();

  simgrid::s4u::ActorPtr actor_;
  bool parked_ = false;
  simgrid::kernel::timer::Timer* timer_ = nullptr;  // the pending wake-up at timer_date_
  double timer_date_ = -1;
};

class WorkerPool {
 public:
  WorkerPool(simgrid::s4u::Host* host, std::string name) : host_(host), name_(std::move(name)) {}
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `job` on an idle worker (or a new one) from the next scheduling round; the job may
  // block on SimGrid activities. Any actor context.
  void run(std::function<void()> job);
  // Workers created that have not run yet (SimGrid cannot kill those cleanly).
  int starting() const { return starting_; }
  // Kills every worker, busy or idle; their jobs are dropped unfinished.
  void kill_all();

 private:
  struct Worker {
    simgrid::s4u::ActorPtr actor;
    Parking parking;
    std::function<void()> job;
    bool alive = false;
  };
  void serve(Worker& w);

  simgrid::s4u::Host* host_;
  std::string name_;
  std::vector<std::unique_ptr<Worker>> workers_;  // never shrinks: timers may point at one
  std::vector<Worker*> idle_;
  int starting_ = 0;
};

}  // namespace cairn::sim
