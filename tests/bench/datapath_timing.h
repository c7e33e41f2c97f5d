// Timing for the data-path benchmarks: a candidate and its baseline are run in alternating
// rounds on the same buffers, and each reports the median of its rounds, so drift in
// clock speed or noise from neighbours hits both alike.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <vector>

namespace cairn::bench {

inline double seconds_per_call(const std::function<void()>& fn, double budget_s) {
  using clock = std::chrono::steady_clock;
  fn();  // warm caches and lazy tables
  uint64_t calls = 0;
  const auto start = clock::now();
  double elapsed = 0;
  do {
    fn();
    ++calls;
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  } while (elapsed < budget_s);
  return elapsed / static_cast<double>(calls);
}

struct Comparison {
  double ours_s = 0;                                    // median seconds per call
  double baseline_s = 0;                                // median seconds per call
  double ratio() const { return baseline_s / ours_s; }  // > 1: ours is faster
};

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

inline Comparison compare(const std::function<void()>& ours, const std::function<void()>& baseline,
                          int rounds = 7, double budget_s = 0.15) {
  std::vector<double> a, b;
  for (int r = 0; r < rounds; ++r) {
    b.push_back(seconds_per_call(baseline, budget_s));
    a.push_back(seconds_per_call(ours, budget_s));
  }
  return {median(a), median(b)};
}

inline std::vector<uint8_t> random_buffer(size_t bytes, uint64_t seed) {
  std::vector<uint8_t> out(bytes);
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i + 8 <= bytes; i += 8) {
    const uint64_t word = rng();
    std::copy_n(reinterpret_cast<const uint8_t*>(&word), 8, out.data() + i);
  }
  return out;
}

// "name | ours GB/s | baseline GB/s | ratio" for `bytes` processed per call.
inline void print_throughput(const char* name, const Comparison& c, double bytes) {
  std::printf("| %-44s | %8.2f GB/s | %8.2f GB/s | %5.3f |\n", name, bytes / c.ours_s / 1e9,
              bytes / c.baseline_s / 1e9, c.ratio());
}

}  // namespace cairn::bench
