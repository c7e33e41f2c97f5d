// Time as core logic sees it: integer nanoseconds on the runtime's clock.
//
// There is deliberately no now() here: the only source of the current time is
// Runtime::now() (simulated clock in cairn-sim, steady clock in cairnd). RuntimeClock is a
// tag so that Time cannot be mixed up with std::chrono's real clocks.
#pragma once

#include <chrono>
#include <cstdint>

namespace cairn {

struct RuntimeClock {
  using rep = int64_t;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<RuntimeClock>;
  static constexpr bool is_steady = true;
};

using Duration = std::chrono::nanoseconds;
using Time = RuntimeClock::time_point;

inline double to_seconds(Duration d) { return static_cast<double>(d.count()) / 1e9; }
inline double to_seconds(Time t) { return to_seconds(t.time_since_epoch()); }
inline Duration from_seconds(double s) {
  return Duration(static_cast<int64_t>(s * 1e9 + (s >= 0 ? 0.5 : -0.5)));
}

}  // namespace cairn
