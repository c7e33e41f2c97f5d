// Baselines the benchmarks measure in the same run as their subject (memcpy, memset,
// iperf3 over loopback) and the table of samples they print: a median (min..max) per
// measure and ratios of medians.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cairn::real::bench {

// Seconds from `t` to now.
double seconds_since(std::chrono::steady_clock::time_point t);

// Copies `total` bytes in 1 MiB memcpy calls from one 1 MiB source into `dst_bytes` of
// destination taken 1 MiB at a time in turn (1 MiB: both stay in cache). GB/s.
double memcpy_gbps(uint64_t total, size_t dst_bytes);
// The same with 1 MiB memsets (no source). GB/s.
double memset_gbps(uint64_t total, size_t dst_bytes);
// iperf3, one stream over loopback, `total` bytes in 1 MiB writes. GB/s; 0 if iperf3 is
// not installed or failed.
double iperf3_gbps(uint64_t total);

// Every sample of every measure, printed as a median (min..max) table at the end.
struct Samples {
  std::map<std::string, std::vector<double>> by_name;
  void add(const std::string& name, double v);
  double median(const std::string& name) const;
  void print() const;
  void ratio(const char* what, const std::string& ours, const std::string& base) const;
};

}  // namespace cairn::real::bench
