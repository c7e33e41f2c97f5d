#include "runtime-sim/network_faults.h"

namespace cairn::sim {
namespace {

int group_of(const std::vector<std::set<NodeId>>& groups, NodeId n) {
  for (size_t i = 0; i < groups.size(); ++i) {
    if (groups[i].contains(n)) return static_cast<int>(i);
  }
  return -1;
}

void combine(LinkFaults& into, const LinkFaults& f) {
  into.loss = 1 - (1 - into.loss) * (1 - f.loss);
  into.duplicate = 1 - (1 - into.duplicate) * (1 - f.duplicate);
  into.delay += f.delay;
  into.jitter += f.jitter;
}

Duration draw_delay(const LinkFaults& f, Rng& rng) {
  Duration d = f.delay;
  if (f.jitter > Duration(0)) d += Duration(rng.between(0, f.jitter.count()));
  return d;
}

}  // namespace

void NetworkFaults::partition(const std::vector<std::vector<NodeId>>& groups, bool one_way) {
  Partition p;
  p.one_way = one_way;
  for (const auto& g : groups) p.groups.emplace_back(g.begin(), g.end());
  partitions_.push_back(std::move(p));
}

uint64_t NetworkFaults::add_rule(const std::vector<NodeId>& from, const std::vector<NodeId>& to,
                                 LinkFaults faults) {
  const uint64_t id = next_rule_++;
  rules_[id] = Rule{{from.begin(), from.end()}, {to.begin(), to.end()}, faults};
  return id;
}

bool NetworkFaults::blocked(NodeId from, NodeId to) const {
  for (const Partition& p : partitions_) {
    const int a = group_of(p.groups, from), b = group_of(p.groups, to);
    if (a < 0 || b < 0 || a == b) continue;
    if (!p.one_way || a == 0) return true;
  }
  return false;
}

LinkFaults NetworkFaults::faults(NodeId from, NodeId to) const {
  LinkFaults out = base_;
  for (const auto& [id, r] : rules_) {
    if ((r.from.empty() || r.from.contains(from)) && (r.to.empty() || r.to.contains(to))) {
      combine(out, r.faults);
    }
  }
  return out;
}

Delivery NetworkFaults::decide(NodeId from, NodeId to, Rng& rng) const {
  Delivery d;
  if (blocked(from, to)) {
    d.copies = 0;
    return d;
  }
  const LinkFaults f = faults(from, to);
  if (rng.chance(f.loss)) {
    d.copies = 0;
    return d;
  }
  if (rng.chance(f.duplicate)) d.copies = 2;
  d.extra_delay = draw_delay(f, rng);
  if (d.copies == 2) d.second_delay = draw_delay(f, rng);
  return d;
}

}  // namespace cairn::sim
