// Per-node metrics: monotonically increasing counters and last-value gauges.
//
// Core code asks once for a handle (`Counter& sent = metrics.counter("x_sent")`) and then
// bumps it cheaply; handles stay valid for the life of the registry. Runtimes read the
// registry to sample metrics.csv (sim) or serve /metrics (cairnd). Iteration is sorted by
// name, so output is deterministic.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace cairn {

class Counter {
 public:
  void add(int64_t delta = 1) { value_ += delta; }
  int64_t value() const { return value_; }

 private:
  int64_t value_ = 0;
};

class Gauge {
 public:
  void set(double value) { value_ = value; }
  double value() const { return value_; }

 private:
  double value_ = 0;
};

class Metrics {
 public:
  Counter& counter(const std::string& name);
  Gauge& gauge(const std::string& name);

  // name -> value for every counter and gauge, sorted by name.
  std::map<std::string, double> snapshot() const;
  // Calls fn(name, value) for every counter, then every gauge, each in name order; cheaper
  // than snapshot() for a runtime that samples often.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (const auto& [name, c] : counters_) fn(name, static_cast<double>(c->value()));
    for (const auto& [name, g] : gauges_) fn(name, g->value());
  }
  void clear();

 private:
  // unique_ptr keeps handles stable while the maps grow.
  std::map<std::string, std::unique_ptr<Counter>> counters_;
  std::map<std::string, std::unique_ptr<Gauge>> gauges_;
};

}  // namespace cairn
