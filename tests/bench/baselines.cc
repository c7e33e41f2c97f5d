// Baselines measured beside the benchmarks (baselines.h).
#include "tests/bench/baselines.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "tests/real/process.h"

namespace cairn::real::bench {
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Copies `total` bytes in 1 MiB memcpy calls from one 1 MiB source into `dst_bytes` of
// destination taken 1 MiB at a time in turn (1 MiB: both stay in cache).
double memcpy_gbps(uint64_t total, size_t dst_bytes) {
  constexpr size_t kMiB = 1 << 20;
  std::string src(kMiB, 'm'), dst(dst_bytes, 0);
  const uint64_t rounds = total / kMiB;
  const auto start = Clock::now();
  for (uint64_t i = 0; i < rounds; ++i) {
    src[i % src.size()] = static_cast<char>(i);
    std::memcpy(dst.data() + (i * kMiB) % dst_bytes, src.data(), kMiB);
    asm volatile("" : : "r"(dst.data()) : "memory");
  }
  return double(rounds) * kMiB / seconds_since(start) / 1e9;
}

// Fills `total` bytes in 1 MiB memset calls into `dst_bytes` of destination taken 1 MiB at a
// time in turn: what a producer writing its output into the ring costs at least.
double memset_gbps(uint64_t total, size_t dst_bytes) {
  constexpr size_t kMiB = 1 << 20;
  std::string dst(dst_bytes, 0);
  const uint64_t rounds = total / kMiB;
  const auto start = Clock::now();
  for (uint64_t i = 0; i < rounds; ++i) {
    std::memset(dst.data() + (i * kMiB) % dst_bytes, static_cast<int>(i & 0xFF), kMiB);
    asm volatile("" : : "r"(dst.data()) : "memory");
  }
  return double(rounds) * kMiB / seconds_since(start) / 1e9;
}

// iperf3, one stream over loopback, `total` bytes in 1 MiB writes (the same bytes and
// write size as ours). 0 if iperf3 is not installed or failed.
double iperf3_gbps(uint64_t total) {
  if (std::system("command -v iperf3 > /dev/null 2>&1") != 0) return 0;
  const uint16_t port = testing::free_ports(1)[0];
  const std::string p = std::to_string(port);
  const pid_t server = testing::spawn({"/usr/bin/iperf3", "-s", "-1", "-p", p}, "/dev/null");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let it bind (not a timing)
  int code = 0;
  const std::string out = testing::run_capture({"/usr/bin/iperf3", "-c", "127.0.0.1", "-p", p, "-n",
                                                std::to_string(total), "-l", "1M", "-f", "g"},
                                               &code);
  testing::wait_exit(server, std::chrono::seconds(5));
  const size_t at = out.rfind("Gbits/sec");  // the receiver's line comes last
  if (code != 0 || at == std::string::npos) return 0;
  const size_t begin = out.rfind(' ', at - 2);
  return std::stod(out.substr(begin, at - begin)) / 8;  // GB/s
}

void Samples::add(const std::string& name, double v) {
  by_name[name].push_back(v);
  std::printf("  %-34s %10.3f\n", name.c_str(), v);
  std::fflush(stdout);
}

double Samples::median(const std::string& name) const {
  auto it = by_name.find(name);
  if (it == by_name.end() || it->second.empty()) return 0;
  std::vector<double> v = it->second;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

void Samples::print() const {
  std::printf("\n%-34s %10s %10s %10s  (n)\n", "measure", "median", "min", "max");
  for (const auto& [name, v] : by_name) {
    std::printf("%-34s %10.3f %10.3f %10.3f  (%zu)\n", name.c_str(), median(name),
                *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end()),
                v.size());
  }
}

void Samples::ratio(const char* what, const std::string& ours, const std::string& base) const {
  if (median(base) <= 0 || median(ours) <= 0) return;
  std::printf("%-44s %.2f\n", what, median(ours) / median(base));
}

}  // namespace cairn::real::bench
