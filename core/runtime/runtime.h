// The Runtime: core logic's only door to time, timers, the network, the disk, CPU
// offload, randomness, logging and metrics (DESIGN.md's one hard rule).
//
// One Runtime per node. Core logic is single-threaded per node and event-driven: every
// callback below runs on the node's own thread (its SimGrid actor, or its Asio loop), one
// at a time, so core code needs no locks. Nothing here blocks. Implementations:
// runtime-sim/ (SimGrid) and runtime-real/ (Asio); core/runtime/manual_runtime.h is a
// hand-driven one for unit tests.
#pragma once

#include <cstdint>
#include <functional>

#include "core/runtime/disk.h"
#include "core/runtime/log.h"
#include "core/runtime/message.h"
#include "core/runtime/metrics.h"
#include "core/runtime/rng.h"
#include "core/runtime/time.h"

namespace cairn {

using TimerId = uint64_t;
inline constexpr TimerId kNoTimer = 0;

// How much CPU a piece of work costs, so that the simulator can charge it. Calibrated
// from measured codec speeds (docs/performance.md); the real runtime ignores it.
struct Cost {
  double flops = 0;
};

class Runtime {
 public:
  using Callback = std::function<void()>;

  virtual ~Runtime() = default;

  virtual NodeId self() const = 0;
  // sim: the simulated clock; real: the steady clock. Never goes backwards.
  virtual Time now() const = 0;
  // The wall clock in Unix milliseconds, for timestamps people read (a file's mtime), never
  // for timing: it may jump. sim and the manual runtime: now() counted from the epoch, so
  // runs stay deterministic; real: the system clock.
  virtual int64_t wall_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch())
        .count();
  }

  // Runs `fn` once, `delay` from now (delay <= 0: as soon as possible, after the current
  // callback). Timers due at the same time fire in the order they were set.
  virtual TimerId after(Duration delay, Callback fn) = 0;
  // Cancelling a timer that fired or was cancelled already is a no-op.
  virtual void cancel(TimerId id) = 0;

  // Fire and forget. The message may be lost, delayed, reordered or duplicated, and is
  // silently dropped if `to` is down or unreachable: protocols must not rely on delivery.
  virtual void send(NodeId to, Message message) = 0;

  virtual Rng& rng() = 0;
  virtual Disk& disk() = 0;

  // Runs `work` off the node's thread (real) or charges `cost` of simulated CPU time (sim),
  // then calls `done` on the node's thread. `work` must touch only what it owns.
  virtual void compute(Cost cost, Callback work, Callback done) = 0;

  virtual Log& log() = 0;
  virtual Metrics& metrics() = 0;
};

}  // namespace cairn
