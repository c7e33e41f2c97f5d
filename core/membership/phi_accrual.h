// The phi-accrual failure detector (Hayashibara et al., SRDS 2004) for one peer.
//
// Instead of a yes/no timeout it reports phi = -log10(P(a heartbeat arrives later than
// now)), with heartbeat inter-arrival times modelled as a normal distribution over a
// sliding window. phi = 8 means "the chance that this peer is merely late is 1e-8".
// acceptable_pause shifts the mean (tolerate GC pauses); min_std_dev keeps a perfectly
// regular history (common in simulation) from making the detector hair-triggered.
#pragma once

#include <cstddef>
#include <deque>

#include "core/runtime/time.h"

namespace cairn::membership {

struct DetectorOptions {
  double phi_threshold = 8.0;
  size_t window = 100;  // inter-arrival samples kept
  Duration min_std_dev = std::chrono::milliseconds(100);
  Duration acceptable_pause = Duration(0);
  // The interval assumed before any has been measured (normally the heartbeat period).
  Duration first_interval = std::chrono::seconds(1);
};

class PhiAccrual {
 public:
  explicit PhiAccrual(const DetectorOptions& options);

  void heartbeat(Time at);
  bool started() const { return started_; }
  // 0 before the first heartbeat; grows without bound while heartbeats are missing.
  double phi(Time at) const;
  // When phi reaches the threshold if no further heartbeat arrives. REQUIRES: started().
  Time deadline() const;
  double mean_interval_s() const;
  double std_dev_s() const;

  // The y with -log10(P(Z > y)) = phi for a standard normal Z (exposed for tests).
  static double z_for_phi(double phi);
  static double phi_for_z(double z);

 private:
  DetectorOptions options_;
  double z_threshold_;
  bool started_ = false;
  Time last_{};
  std::deque<double> intervals_s_;
  double sum_ = 0;
  double sum_sq_ = 0;
};

}  // namespace cairn::membership
