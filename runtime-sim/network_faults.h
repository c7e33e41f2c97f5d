// Which messages the simulated network loses, duplicates, delays or blocks right now.
//
// Pure state, changed by the fault injector and read by every send and receive:
// partitions (two-way between groups, or one-way out of the first group) and link-fault
// rules (loss, duplication, delay, jitter) on chosen directed node pairs. Rules combine:
// independent losses (1 - prod(1 - p)), summed delays. Knows nothing of SimGrid.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "core/runtime/message.h"
#include "core/runtime/rng.h"
#include "runtime-sim/scenario.h"

namespace cairn::sim {

struct Delivery {
  int copies = 1;            // 0: lost; 2: duplicated
  Duration extra_delay{0};   // per copy, on top of the link's own latency
  Duration second_delay{0};  // for the duplicate
};

class NetworkFaults {
 public:
  explicit NetworkFaults(LinkFaults base) : base_(base) {}

  void partition(const std::vector<std::vector<NodeId>>& groups, bool one_way);
  void heal() { partitions_.clear(); }
  // Returns a handle for remove_rule. Empty `from` / `to` mean every node.
  uint64_t add_rule(const std::vector<NodeId>& from, const std::vector<NodeId>& to,
                    LinkFaults faults);
  void remove_rule(uint64_t id) { rules_.erase(id); }

  bool blocked(NodeId from, NodeId to) const;
  LinkFaults faults(NodeId from, NodeId to) const;
  // Draws the fate of one message from `rng` (only for faults that are switched on, so a
  // run without faults draws nothing).
  Delivery decide(NodeId from, NodeId to, Rng& rng) const;

 private:
  struct Partition {
    std::vector<std::set<NodeId>> groups;
    bool one_way = false;
  };
  struct Rule {
    std::set<NodeId> from, to;
    LinkFaults faults;
  };
  LinkFaults base_;
  std::vector<Partition> partitions_;
  std::map<uint64_t, Rule> rules_;
  uint64_t next_rule_ = 1;
};

}  // namespace cairn::sim
