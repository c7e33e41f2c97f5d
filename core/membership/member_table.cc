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
    records_[n] = Record{.node = n, .state = State::kAlive, .incarnation = 0};
  }
}

std::optional<Record> MemberTable::merge(const Record& incoming) {
  auto it = records_.find(incoming.node);
  if (it == records_.end()) return std::nullopt;
  if (!Record::supersedes(incoming, it->second)) return std::nullopt;
  Record previous = it->second;
  it->second = incoming;
  return previous;
}

const Record& MemberTable::get(NodeId node) const {
  auto it = records_.find(node);
  CAIRN_ASSERT(it != records_.end());
  return it->second;
}

size_t MemberTable::count(State state) const {
  return static_cast<size_t>(std::count_if(
      records_.begin(), records_.end(), [&](const auto& kv) { return kv.second.state == state; }));
}

}  // namespace cairn::membership
