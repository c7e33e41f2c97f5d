// One node's view of the cluster: a record (state, incarnation) per member, merged with
// the precedence rules of SWIM (Das et al., DSN 2002) extended with restarts.
//
// Records are ordered so that merging is commutative, associative and idempotent, which
// is what lets gossip, anti-entropy and refutation arrive in any order and still agree:
//   - a higher incarnation always wins (a restarted or refuting node outranks old news);
//   - at equal incarnation, dead > suspect > alive.
// A node is the only one that raises its own incarnation (to refute, or on restart).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
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
  bool contains(NodeId node) const { return index_.contains(node); }
  // One record per member, sorted by node id.
  const std::vector<Record>& records() const { return records_; }
  const std::vector<NodeId>& members() const { return members_; }
  NodeId self() const { return self_; }
  // O(1): counts are kept as records change.
  size_t count(State state) const { return counts_[static_cast<size_t>(state)]; }

 private:
  NodeId self_;
  std::vector<NodeId> members_;  // sorted
  std::vector<Record> records_;  // parallel to members_
  absl::flat_hash_map<NodeId, size_t> index_;
  std::array<size_t, 3> counts_{};
};

}  // namespace cairn::membership
