#include "core/placement/modulo.h"

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace cairn::placement {

absl::StatusOr<Modulo> Modulo::build(const Membership& membership) {
  auto topology = Topology::build(membership);
  if (!topology.ok()) return topology.status();
  return Modulo(std::move(*topology));
}

std::string Modulo::name() const { return absl::StrCat("modulo(", topology_.size(), " nodes)"); }

absl::StatusOr<std::vector<NodeId>> Modulo::place(uint64_t key, int count) const {
  const uint64_t n = topology_.size();
  const uint64_t first = mix64(key) % n;
  auto walk = [&](absl::FunctionRef<bool(uint32_t)> visit) {
    for (uint64_t i = 0; i < n; ++i) {
      if (visit(static_cast<uint32_t>((first + i) % n))) return;
    }
  };
  auto picks = pick_diverse(topology_, walk, count, [](uint32_t) { return true; });
  if (!picks.ok()) return picks.status();
  std::vector<NodeId> nodes;
  for (uint32_t i : *picks) nodes.push_back(topology_.node(i).id);
  CAIRN_ASSERT(static_cast<int>(nodes.size()) == count);
  return nodes;
}

}  // namespace cairn::placement
