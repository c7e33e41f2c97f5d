#include "core/membership/options.h"

namespace cairn::membership {

void MembershipOptions::visit(SettingsVisitor& v) {
  v.duration("heartbeat", heartbeat_interval);
  detector.first_interval = heartbeat_interval;  // the detector's guess before any sample
  v.count("monitors", monitors, 1, 64);
  v.number("phi_threshold", detector.phi_threshold, 0.1, 1000);
  v.count("window", detector.window, 1, 100000);
  v.duration("min_std_dev", detector.min_std_dev);
  v.duration("acceptable_pause", detector.acceptable_pause);
  v.duration("suspect_timeout", suspect_timeout);
  v.count("gossip_fanout", gossip_fanout, 0, 64);
  v.count("retransmit_mult", retransmit_mult, 1, 64);
  v.duration("anti_entropy", anti_entropy_interval);
  v.duration("first_contact", first_contact_grace);
}

absl::Status MembershipOptions::validate() const {
  if (heartbeat_interval <= Duration(0)) {
    return absl::InvalidArgumentError("heartbeat interval must be positive");
  }
  if (monitors < 1) return absl::InvalidArgumentError("monitors must be at least 1");
  if (suspect_timeout < Duration(0)) {
    return absl::InvalidArgumentError("suspect timeout must not be negative");
  }
  if (retransmit_mult < 1) return absl::InvalidArgumentError("retransmit_mult must be at least 1");
  if (max_updates_per_message < 1) {
    return absl::InvalidArgumentError("max_updates_per_message must be at least 1");
  }
  if (anti_entropy_interval < Duration(0)) {
    return absl::InvalidArgumentError("anti-entropy interval must not be negative");
  }
  if (first_contact_grace < Duration(0)) {
    return absl::InvalidArgumentError("first contact grace must not be negative");
  }
  if (!(detector.phi_threshold > 0)) {
    return absl::InvalidArgumentError("phi threshold must be positive");
  }
  if (detector.window < 1) return absl::InvalidArgumentError("detector window must be at least 1");
  if (detector.min_std_dev <= Duration(0)) {
    return absl::InvalidArgumentError("min_std_dev must be positive");
  }
  if (detector.acceptable_pause < Duration(0)) {
    return absl::InvalidArgumentError("acceptable pause must not be negative");
  }
  return absl::OkStatus();
}

}  // namespace cairn::membership
