// One node's view of the cluster: a record (state, incarnation) per member, merged with
// the precedence rules of SWIM (Das et al., DSN 2002) extended with restarts.
//
// Records are ordered so that merging is commutative, associative and idempotent, which
// is what lets gossip, anti-entropy and refutation arrive in any order and still agree:
//   - a higher incarnation always wins (a restarted or refuting node outranks old news);
//   - at equal incarnation, dead > suspect > alive.
// A node is the only one that raises its own incarnation (to refute, or on restart).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "core/runtime/message.h"

namespace cairn::membership {

enum class State : uint8_t { kAlive = 0, kSuspect = 1, kDead = 2 };
std::string_view state_name(State state);

struct Record {
  NodeId node = kNoNode;
  State state = State::kAlive;
  uint64_t incarnation = 0;

  // True if `incoming` should replace `current` (the precedence rules above).
  static bool supersedes(const Record& incoming, const Record& current);
  bool operator==(const Record&) const = default;
};

class MemberTable {
 public:
  // REQUIRES: `members` contains `self`, no duplicates, no kNoNode.
  MemberTable(NodeId self, const std::vector<NodeId>& members);

  // Applies `incoming` if it supersedes what we hold; returns the previous record if the
  // table changed. Records about unknown nodes are ignored (nullopt).
  std::optional<Record> merge(const Record& incoming);
  const Record& get(NodeId node) const;
  bool contains(NodeId node) const { return records_.contains(node); }
  // Sorted by node id.
  const std::map<NodeId, Record>& records() const { return records_; }
  const std::vector<NodeId>& members() const { return members_; }
  NodeId self() const { return self_; }
  size_t count(State state) const;

 private:
  NodeId self_;
  std::vector<NodeId> members_;  // sorted
  std::map<NodeId, Record> records_;
};

}  // namespace cairn::membership
