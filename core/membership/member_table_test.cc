#include "core/membership/member_table.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "core/runtime/rng.h"

namespace cairn::membership {
namespace {

TEST(MemberTable, PrecedenceRules) {
  MemberTable t(1, {1, 2, 3});
  EXPECT_TRUE(t.merge({2, State::kSuspect, 0}));   // suspect beats alive at equal inc
  EXPECT_FALSE(t.merge({2, State::kAlive, 0}));    // alive does not beat suspect
  EXPECT_TRUE(t.merge({2, State::kAlive, 1}));     // a higher incarnation refutes
  EXPECT_TRUE(t.merge({2, State::kDead, 1}));      // dead beats alive at equal inc
  EXPECT_FALSE(t.merge({2, State::kSuspect, 1}));  // suspect does not beat dead
  EXPECT_TRUE(t.merge({2, State::kAlive, 2}));     // a restart outranks death
  EXPECT_EQ(t.get(2), (Record{2, State::kAlive, 2}));
  EXPECT_FALSE(t.merge({9, State::kDead, 5}));  // unknown nodes are ignored
  EXPECT_EQ(t.count(State::kAlive), 3u);
}

rc::Gen<Record> arbitrary_record() {
  return rc::gen::build<Record>(
      rc::gen::set(&Record::node, rc::gen::inRange<NodeId>(1, 4)),
      rc::gen::set(&Record::state, rc::gen::element(State::kAlive, State::kSuspect, State::kDead)),
      rc::gen::set(&Record::incarnation, rc::gen::inRange<uint64_t>(0, 4)));
}

// Gossip may deliver news in any order and any number of times: the final view must not
// depend on it.
RC_GTEST_PROP(MemberTable, MergeIsOrderIndependentAndIdempotent, ()) {
  const auto records = *rc::gen::container<std::vector<Record>>(arbitrary_record());
  auto shuffled = records;
  Rng rng(*rc::gen::arbitrary<uint64_t>());
  for (size_t i = shuffled.size(); i > 1; --i) std::swap(shuffled[i - 1], shuffled[rng.below(i)]);
  MemberTable a(1, {1, 2, 3}), b(1, {1, 2, 3});
  for (const auto& r : records) a.merge(r);
  for (const auto& r : shuffled) {
    b.merge(r);
    b.merge(r);
  }
  RC_ASSERT(a.records() == b.records());
}

}  // namespace
}  // namespace cairn::membership
