#include "core/membership/phi_accrual.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/base/assert.h"

namespace cairn::membership {

double PhiAccrual::phi_for_z(double z) {
  // P(Z > z) = erfc(z / sqrt 2) / 2. Past x ~ 25 erfc underflows a double, so use the
  // asymptotic expansion of ln erfc(x) there.
  const double x = z / std::sqrt(2.0);
  if (x < 25) {
    const double p = 0.5 * std::erfc(x);
    return -std::log10(p);
  }
  const double ln_erfc =
      -x * x - std::log(x * std::sqrt(std::numbers::pi)) + std::log1p(-0.5 / (x * x));
  return -(ln_erfc + std::log(0.5)) / std::log(10.0);
}

double PhiAccrual::z_for_phi(double phi) {
  // phi_for_z is increasing in z: bisect.
  double lo = -10, hi = 60;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    if (phi_for_z(mid) < phi) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return hi;
}

PhiAccrual::PhiAccrual(const DetectorOptions& options)
    : options_(options), z_threshold_(z_for_phi(options.phi_threshold)) {
  CAIRN_ASSERT(options.window >= 1);
  CAIRN_ASSERT(options.phi_threshold > 0);
}

void PhiAccrual::heartbeat(Time at) {
  if (!started_) {
    started_ = true;
    last_ = at;
    const double first = to_seconds(options_.first_interval);
    intervals_s_.push_back(first);
    sum_ = first;
    sum_sq_ = first * first;
    return;
  }
  CAIRN_ASSERT(at >= last_);
  const double interval = to_seconds(at - last_);
  last_ = at;
  intervals_s_.push_back(interval);
  sum_ += interval;
  sum_sq_ += interval * interval;
  if (intervals_s_.size() > options_.window) {
    const double old = intervals_s_.front();
    intervals_s_.pop_front();
    sum_ -= old;
    sum_sq_ -= old * old;
  }
}

double PhiAccrual::mean_interval_s() const {
  return intervals_s_.empty() ? 0 : sum_ / static_cast<double>(intervals_s_.size());
}

double PhiAccrual::std_dev_s() const {
  const double n = static_cast<double>(intervals_s_.size());
  const double mean = mean_interval_s();
  const double variance = n == 0 ? 0 : std::max(0.0, sum_sq_ / n - mean * mean);
  return std::max(std::sqrt(variance), to_seconds(options_.min_std_dev));
}

double PhiAccrual::phi(Time at) const {
  if (!started_) return 0;
  const double elapsed = to_seconds(at - last_);
  const double mean = mean_interval_s() + to_seconds(options_.acceptable_pause);
  return std::max(0.0, phi_for_z((elapsed - mean) / std_dev_s()));
}

Time PhiAccrual::deadline() const {
  CAIRN_ASSERT(started_);
  const double mean = mean_interval_s() + to_seconds(options_.acceptable_pause);
  return last_ + from_seconds(mean + z_threshold_ * std_dev_s());
}

}  // namespace cairn::membership
