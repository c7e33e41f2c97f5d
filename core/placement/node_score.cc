#include "core/placement/node_score.h"

#include <algorithm>
#include <cmath>

namespace cairn::placement {
namespace {

// `x` when it is a usable measurement (finite and > 0), else `fallback`.
double measured(double x, double fallback) { return std::isfinite(x) && x > 0 ? x : fallback; }

}  // namespace

double score(const NodeMeasurements& m, const ScoreOptions& o) {
  const double gib = m.capacity_bytes > 0 ? static_cast<double>(m.capacity_bytes) / (1 << 30)
                                          : o.unknown_capacity_gib;
  const double bandwidth = measured(m.bandwidth_bytes_per_s, o.reference_bandwidth_bytes_per_s) /
                           o.reference_bandwidth_bytes_per_s;
  const double speed = o.reference_latency_ms / measured(m.latency_ms, o.reference_latency_ms);
  const double performance =
      std::clamp(std::sqrt(bandwidth * speed), o.min_performance, o.max_performance);
  const double up = std::isfinite(m.uptime) ? std::clamp(m.uptime, 0.0, 1.0) : 1.0;
  const double stability = std::max(o.min_stability, up * up / (1.0 + m.flaps));
  double weight = gib * performance * stability;
  if (m.capacity_bytes > 0) {
    const double free = static_cast<double>(std::min(m.free_bytes, m.capacity_bytes)) /
                        static_cast<double>(m.capacity_bytes);
    if (free < o.full_below) weight *= o.full_factor;
  }
  return std::max(weight, 1e-12);
}

std::map<NodeId, double> next_weights(const std::map<NodeId, double>& current,
                                      const std::map<NodeId, double>& targets,
                                      const ChurnOptions& o) {
  std::map<NodeId, double> out;
  for (const auto& [id, target] : targets) {
    auto it = current.find(id);
    if (it == current.end()) {
      out[id] = target;
      continue;
    }
    const double w = it->second;
    if (std::abs(target - w) <= o.hysteresis * w) {
      out[id] = w;
      continue;
    }
    const double step = o.max_step * w;
    out[id] = std::clamp(target, w - step, w + step);
  }
  return out;
}

}  // namespace cairn::placement
