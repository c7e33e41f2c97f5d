#include "core/membership/member_table.h"

#include <algorithm>

#include "core/base/assert.h"

namespace cairn::membership {

std::string_view state_name(State state) {
  switch (state) {
    case State::kAlive:
      return "alive";
    case State::kSuspect:
      return "suspect";
    case State::kDead:
      return "dead";
  }
  return "unknown";
}

bool Record::supersedes(const Record& incoming, const Record& current) {
  CAIRN_ASSERT(incoming.node == current.node);
  if (incoming.incarnation != current.incarnation) {
    return incoming.incarnation > current.incarnation;
  }
  return static_cast<uint8_t>(incoming.state) > static_cast<uint8_t>(current.state);
}

MemberTable::MemberTable(NodeId self, const std::vector<NodeId>& members)
    : self_(self), members_(members) {
  std::sort(members_.begin(), members_.end());
  CAIRN_ASSERT(std::adjacent_find(members_.begin(), members_.end()) == members_.end());
  CAIRN_ASSERT(std::binary_search(members_.begin(), members_.end(), self));
  for (NodeId n : members_) {
    CAIRN_ASSERT(n != kNoNode);
    index_[n] = records_.size();
    records_.push_back(Record{.node = n, .state = State::kAlive, .incarnation = 0});
  }
  counts_[static_cast<size_t>(State::kAlive)] = records_.size();
}

std::optional<Record> MemberTable::merge(const Record& incoming) {
  auto it = index_.find(incoming.node);
  if (it == index_.end()) return std::nullopt;
  Record& current = records_[it->second];
  if (!Record::supersedes(incoming, current)) return std::nullopt;
  Record previous = current;
  current = incoming;
  --counts_[static_cast<size_t>(previous.state)];
  ++counts_[static_cast<size_t>(incoming.state)];
  return previous;
}

const Record& MemberTable::get(NodeId node) const {
  auto it = index_.find(node);
  CAIRN_ASSERT(it != index_.end());
  return records_[it->second];
}

}  // namespace cairn::membership
