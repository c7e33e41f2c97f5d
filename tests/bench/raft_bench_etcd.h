// Pieces of raft_bench shared by its two load generators: the load's shape, a recorder of
// latencies (first second = warm-up), and the etcd side (raft_bench_etcd.cc).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"

namespace cairn::bench {

struct LoadShape {
  size_t clients = 1;
  size_t connections = 8;
  size_t value_bytes = 256;
  std::chrono::duration<double> warmup{1.0};
  std::chrono::duration<double> measure{5.0};
};

struct LoadResult {
  double ops_per_s = 0;
  double mean_ms = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  size_t ops = 0;
};

class LoadRecorder {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LoadRecorder(const LoadShape& shape)
      : from_(Clock::now() + std::chrono::duration_cast<Clock::duration>(shape.warmup)),
        until_(from_ + std::chrono::duration_cast<Clock::duration>(shape.measure)) {}

  // A put sent at `sent` was answered at `done`; counted if it completed in the window.
  void record(Clock::time_point sent, Clock::time_point done) {
    if (done < from_ || done >= until_) return;
    latencies_us_.push_back(std::chrono::duration<double, std::micro>(done - sent).count());
  }
  bool done() const { return Clock::now() >= until_; }

  LoadResult result() {
    LoadResult r;
    r.ops = latencies_us_.size();
    r.ops_per_s = r.ops / std::chrono::duration<double>(until_ - from_).count();
    std::sort(latencies_us_.begin(), latencies_us_.end());
    if (!latencies_us_.empty()) {
      double sum = 0;
      for (double l : latencies_us_) sum += l;
      r.mean_ms = sum / latencies_us_.size() / 1000;
      r.p50_ms = latencies_us_[latencies_us_.size() / 2] / 1000;
      r.p90_ms = latencies_us_[latencies_us_.size() * 9 / 10] / 1000;
      r.p99_ms = latencies_us_[latencies_us_.size() * 99 / 100] / 1000;
    }
    return r;
  }

 private:
  Clock::time_point from_, until_;
  std::vector<double> latencies_us_;
};

// One result per shape, against a fresh 3-member etcd cluster on loopback. Unavailable
// (with the reason) when /usr/bin/etcd is missing or the bench was built without gRPC.
absl::StatusOr<std::vector<LoadResult>> run_etcd(const std::vector<LoadShape>& shapes);

}  // namespace cairn::bench
