#include "core/runtime/metrics.h"

namespace cairn {

Counter& Metrics::counter(const std::string& name) {
  auto& slot = counters_[name];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Metrics::gauge(const std::string& name) {
  auto& slot = gauges_[name];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

std::map<std::string, double> Metrics::snapshot() const {
  std::map<std::string, double> out;
  for (const auto& [name, c] : counters_) out[name] = static_cast<double>(c->value());
  for (const auto& [name, g] : gauges_) out[name] = g->value();
  return out;
}

void Metrics::clear() {
  counters_.clear();
  gauges_.clear();
}

}  // namespace cairn
