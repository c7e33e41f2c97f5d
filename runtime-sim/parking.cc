#include "runtime-sim/parking.h"

#include <algorithm>

#include "core/base/assert.h"

namespace sg4 = simgrid::s4u;
using simgrid::kernel::timer::Timer;

namespace cairn::sim {

Parking::~Parking() { cancel_timer(); }

void Parking::attach(sg4::ActorPtr actor) {
  cancel_timer();
  actor_ = std::move(actor);
  parked_ = false;
}

void Parking::park(double date) {
  CAIRN_ASSERT(actor_ != nullptr && sg4::this_actor::get_pid() == actor_->get_pid());
  if (date >= 0) date = std::max(date, sg4::Engine::get_clock());  // never in the past
  if (date < 0) {
    cancel_timer();
  } else if (timer_ == nullptr || timer_date_ != date) {
    cancel_timer();
    timer_date_ = date;
    timer_ = Timer::set(date, [this] {
      timer_ = nullptr;
      wake_in_kernel();
    });
  }
  parked_ = true;
  sg4::this_actor::suspend();
}

void Parking::wake() {
  if (sg4::Actor::is_maestro()) {
    wake_in_kernel();
    return;
  }
  // From an actor: our resume and the parking actor's suspend are both requests the
  // kernel handles after this scheduling round, in an order we do not control. A timer
  // at the current date runs after both.
  Timer::set(sg4::Engine::get_clock(), [this] { wake_in_kernel(); });
}

void Parking::wake_in_kernel() {
  if (!parked_ || actor_ == nullptr) return;
  parked_ = false;
  actor_->resume();
}

void Parking::cancel_timer() {
  if (timer_ == nullptr) return;
  timer_->remove();
  timer_ = nullptr;
}

void WorkerPool::run(std::function<void()> job) {
  if (idle_.empty()) {
    workers_.push_back(std::make_unique<Worker>());
    Worker* w = workers_.back().get();
    w->job = std::move(job);
    w->alive = true;
    // The actor may run before create() returns to a calling actor: it binds itself.
    ++starting_;
    w->actor = sg4::Actor::create(name_, host_, [this, w] {
      --starting_;
      w->parking.attach(sg4::ActorPtr(sg4::Actor::self()));
      serve(*w);
    });
    return;
  }
  Worker* w = idle_.back();
  idle_.pop_back();
  w->job = std::move(job);
  w->parking.wake();
}

void WorkerPool::serve(Worker& w) {
  while (true) {
    std::function<void()> job = std::move(w.job);
    w.job = nullptr;
    if (job) job();
    idle_.push_back(&w);
    while (!w.job) w.parking.park(-1);
  }
}

void WorkerPool::kill_all() {
  CAIRN_ASSERT(starting_ == 0);  // SimGrid cannot kill an actor that has not run yet
  idle_.clear();
  for (auto& w : workers_) {
    if (!w->alive) continue;
    w->alive = false;
    w->job = nullptr;
    w->parking.attach(nullptr);
    w->actor->kill();
    w->actor = nullptr;
  }
}

}  // namespace cairn::sim
