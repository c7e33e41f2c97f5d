#include "core/placement/bounded_load.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace cairn::placement {

BoundedLoadPlacer::BoundedLoadPlacer(const Ring* ring, double epsilon)
    : ring_(ring), epsilon_(epsilon), loads_(ring->topology().size(), 0) {
  for (uint32_t i = 0; i < ring_->topology().size(); ++i) {
    total_weight_ += ring_->topology().node(i).weight;
  }
  CAIRN_ASSERT(total_weight_ > 0);
}

absl::StatusOr<BoundedLoadPlacer> BoundedLoadPlacer::create(const Ring* ring, double epsilon) {
  CAIRN_ASSERT(ring != nullptr);
  if (!(epsilon >= 0 && epsilon <= 1000)) {
    return absl::InvalidArgumentError(absl::StrCat("epsilon ", epsilon, " not in [0, 1000]"));
  }
  return BoundedLoadPlacer(ring, epsilon);
}

uint64_t BoundedLoadPlacer::capacity(uint32_t index, uint64_t total) const {
  const double share = ring_->topology().node(index).weight / total_weight_;
  // The tiny slack keeps (1 + eps) * avg that is an exact integer from rounding up by one.
  return static_cast<uint64_t>(
      std::ceil((1 + epsilon_) * static_cast<double>(total) * share - 1e-9));
}

absl::StatusOr<std::vector<NodeId>> BoundedLoadPlacer::place(uint64_t key, int count) {
  const uint64_t total_after = total_ + static_cast<uint64_t>(std::max(count, 0));
  auto has_room = [&](uint32_t i) { return loads_[i] < capacity(i, total_after); };
  auto picks = ring_->place_indices(key, count, has_room);
  if (!picks.ok()) return picks.status();
  std::vector<NodeId> nodes;
  for (uint32_t i : *picks) {
    ++loads_[i];
    CAIRN_ASSERT(loads_[i] <= capacity(i, total_after));
    nodes.push_back(ring_->topology().node(i).id);
  }
  total_ = total_after;
  return nodes;
}

}  // namespace cairn::placement
