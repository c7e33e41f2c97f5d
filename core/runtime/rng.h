// Deterministic pseudo-random numbers for core logic (xoshiro256** seeded by splitmix64).
//
// Every random choice core makes comes from the Rng its Runtime hands out: seeded per node
// from the scenario seed in simulation, from the OS in cairnd. Same seed, same sequence,
// on every platform (no std::*_distribution, whose output is implementation-defined).
#pragma once

#include <cstdint>

namespace cairn {

class Rng {
 public:
  explicit Rng(uint64_t seed);

  uint64_t next();
  // Uniform in [0, bound). REQUIRES: bound > 0.
  uint64_t below(uint64_t bound);
  // Uniform in [0, 1).
  double uniform01();
  // True with probability p (p <= 0: never; p >= 1: always).
  bool chance(double p);
  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  int64_t between(int64_t lo, int64_t hi);

  // A seed for an independent stream, e.g. derive(scenario_seed, node_id).
  static uint64_t derive(uint64_t seed, uint64_t stream);

 private:
  uint64_t s_[4];
};

}  // namespace cairn
