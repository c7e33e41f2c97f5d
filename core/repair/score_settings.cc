#include "core/repair/score_settings.h"

#include <algorithm>

#include "core/repair/score_feed.h"

namespace cairn::repair {

void ScoreSettings::visit(SettingsVisitor& v) {
  v.duration("interval", interval);
  v.duration("window", window);
  v.number("max_step", max_step, 0.001, 1);
  v.number("hysteresis", hysteresis, 0, 1);
  v.duration("reference_latency", reference_latency);
  v.bytes("reference_bandwidth", reference_bandwidth_bytes);
}

absl::Status ScoreSettings::validate() const {
  if (interval < Duration(0)) return absl::InvalidArgumentError("score.interval is negative");
  if (interval > Duration(0) && interval < std::chrono::milliseconds(kScoreSamplesPerInterval)) {
    return absl::InvalidArgumentError("score.interval is under 5ms");
  }
  if (interval > Duration(0) && window < interval) {
    return absl::InvalidArgumentError("score.window is shorter than score.interval");
  }
  if (reference_latency <= Duration(0)) {
    return absl::InvalidArgumentError("score.reference_latency must be positive");
  }
  if (reference_bandwidth_bytes == 0) {
    return absl::InvalidArgumentError("score.reference_bandwidth must be positive");
  }
  return absl::OkStatus();
}

FeedOptions ScoreSettings::feed() const {
  FeedOptions o;
  o.churn.max_step = max_step;
  o.churn.hysteresis = hysteresis;
  o.score.reference_latency_ms =
      std::chrono::duration<double, std::milli>(reference_latency).count();
  o.score.reference_bandwidth_bytes_per_s = static_cast<double>(reference_bandwidth_bytes);
  const Duration period = interval / kScoreSamplesPerInterval;
  o.window = period > Duration(0) ? std::max<size_t>(1, static_cast<size_t>(window / period)) : 1;
  return o;
}

}  // namespace cairn::repair
