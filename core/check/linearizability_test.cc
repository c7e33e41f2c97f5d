#include "core/check/linearizability.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace cairn::check {
namespace {

KvOperation op(KvOpKind kind, uint64_t call, std::optional<uint64_t> ret, bool ok,
               std::string value = "", std::string output = "", std::string key = "k") {
  KvOperation o;
  o.kind = kind;
  o.key = std::move(key);
  o.value = value;
  o.expected = value;
  o.ok = ok;
  o.output = std::move(output);
  o.call = call;
  o.ret = ret;
  return o;
}

TEST(Linearizability, SequentialHistoryIsLinearizable) {
  std::vector<KvOperation> h = {op(KvOpKind::kPut, 1, 2, true, "a"),
                                op(KvOpKind::kGet, 3, 4, true, "", "a"),
                                op(KvOpKind::kDelete, 5, 6, true), op(KvOpKind::kGet, 7, 8, false)};
  EXPECT_EQ(check_kv_linearizable(h).verdict, LinVerdict::kLinearizable);
}

TEST(Linearizability, StaleReadAfterAWriteReturnedIsNot) {
  std::vector<KvOperation> h = {op(KvOpKind::kPut, 1, 2, true, "a"),
                                op(KvOpKind::kPut, 3, 4, true, "b"),
                                op(KvOpKind::kGet, 5, 6, true, "", "a")};
  const LinearizabilityResult r = check_kv_linearizable(h);
  EXPECT_EQ(r.verdict, LinVerdict::kNotLinearizable);
  EXPECT_EQ(r.key, "k");
  EXPECT_FALSE(r.explanation.empty());
}

TEST(Linearizability, ConcurrentOperationsMayTakeEffectInEitherOrder) {
  std::vector<KvOperation> h = {
      op(KvOpKind::kPut, 1, 10, true, "a"), op(KvOpKind::kPut, 2, 9, true, "b"),
      op(KvOpKind::kGet, 11, 12, true, "", "a"), op(KvOpKind::kGet, 13, 14, true, "", "a")};
  EXPECT_EQ(check_kv_linearizable(h).verdict, LinVerdict::kLinearizable);
}

TEST(Linearizability, PendingWriteMayOrMayNotHaveHappened) {
  std::vector<KvOperation> seen = {op(KvOpKind::kPut, 1, std::nullopt, false, "a"),
                                   op(KvOpKind::kGet, 2, 3, true, "", "a")};
  EXPECT_EQ(check_kv_linearizable(seen).verdict, LinVerdict::kLinearizable);
  std::vector<KvOperation> unseen = {op(KvOpKind::kPut, 1, std::nullopt, false, "a"),
                                     op(KvOpKind::kGet, 2, 3, false)};
  EXPECT_EQ(check_kv_linearizable(unseen).verdict, LinVerdict::kLinearizable);
}

TEST(Linearizability, CompareAndSetMustAgreeWithTheValue) {
  std::vector<KvOperation> h = {op(KvOpKind::kPut, 1, 2, true, "a"),
                                op(KvOpKind::kCas, 3, 4, true, "b")};  // expected "b" != "a"
  EXPECT_EQ(check_kv_linearizable(h).verdict, LinVerdict::kNotLinearizable);
}

TEST(Linearizability, PutIfAbsentWritesOnlyWhereNothingIs) {
  std::vector<KvOperation> ok = {op(KvOpKind::kPutIfAbsent, 1, 2, true, "a"),
                                 op(KvOpKind::kPutIfAbsent, 3, 4, false, "b"),
                                 op(KvOpKind::kGet, 5, 6, true, "", "a")};
  EXPECT_EQ(check_kv_linearizable(ok).verdict, LinVerdict::kLinearizable);
  // The second one cannot have been written over the first.
  std::vector<KvOperation> overwrote = {op(KvOpKind::kPutIfAbsent, 1, 2, true, "a"),
                                        op(KvOpKind::kPutIfAbsent, 3, 4, true, "b")};
  EXPECT_EQ(check_kv_linearizable(overwrote).verdict, LinVerdict::kNotLinearizable);
  // Nor refused on an empty key.
  std::vector<KvOperation> refused = {op(KvOpKind::kPutIfAbsent, 1, 2, false, "a")};
  EXPECT_EQ(check_kv_linearizable(refused).verdict, LinVerdict::kNotLinearizable);
}

TEST(Linearizability, KeysAreCheckedIndependently) {
  std::vector<KvOperation> h = {op(KvOpKind::kPut, 1, 2, true, "a", "", "x"),
                                op(KvOpKind::kGet, 3, 4, true, "", "a", "x"),
                                op(KvOpKind::kGet, 5, 6, false, "", "", "y")};
  EXPECT_EQ(check_kv_linearizable(h).verdict, LinVerdict::kLinearizable);
}

TEST(Linearizability, ExhaustedBudgetSaysUnknownInsteadOfHanging) {
  std::vector<KvOperation> h;
  for (uint64_t i = 0; i < 40; ++i) {
    h.push_back(op(KvOpKind::kPut, i + 1, 1000 + i, true, "v" + std::to_string(i)));
  }
  h.push_back(op(KvOpKind::kGet, 2000, 2001, true, "", "nobody wrote this"));
  EXPECT_EQ(check_kv_linearizable(h, /*max_steps_per_key=*/500).verdict, LinVerdict::kUnknown);
}

// A lost write buried in a long history: the counterexample is the three operations that
// show it (the value read, the write that should have replaced it, the read), whatever
// else happened to the key and to other keys.
TEST(Linearizability, CounterexampleIsTheShortestFailingSubset) {
  std::vector<KvOperation> h;
  uint64_t t = 0;
  auto add = [&](KvOpKind kind, bool ok, std::string value, std::string output,
                 std::string key = "k") {
    h.push_back(op(kind, t + 1, t + 2, ok, std::move(value), std::move(output), std::move(key)));
    t += 2;
  };
  for (int i = 0; i < 30; ++i) {
    const std::string v = "v" + std::to_string(i);
    add(KvOpKind::kPut, true, v, "");
    add(KvOpKind::kGet, true, "", v);
    add(KvOpKind::kPut, true, v, "", "other");
  }
  add(KvOpKind::kPut, true, "w", "");     // index 90
  add(KvOpKind::kGet, true, "", "w");     // 91
  add(KvOpKind::kPut, true, "lost", "");  // 92: acknowledged ...
  add(KvOpKind::kGet, true, "", "w");     // 93: ... but the read still sees w
  for (int i = 0; i < 10; ++i) add(KvOpKind::kGet, true, "", "w");
  h.push_back(op(KvOpKind::kPut, t + 1, std::nullopt, false, "pending"));
  const LinearizabilityResult r = check_kv_linearizable(h);
  ASSERT_EQ(r.verdict, LinVerdict::kNotLinearizable);
  EXPECT_EQ(r.key, "k");
  EXPECT_EQ(r.key_operations, 75u);
  EXPECT_EQ(r.counterexample, (std::vector<size_t>{90, 92, 93}));
  EXPECT_NE(r.explanation.find("put(k, lost) -> ok"), std::string::npos) << r.explanation;
  EXPECT_EQ(std::count(r.explanation.begin(), r.explanation.end(), '\n'), 3) << r.explanation;
}

// A shrunk history never shows a read of a value without the write of that value: the read
// of "a" alone cannot be ordered either (nothing wrote "a"), but it is no counterexample.
TEST(Linearizability, CounterexampleKeepsTheWriteOfEveryValueItReads) {
  std::vector<KvOperation> h = {
      op(KvOpKind::kGet, 1, 2, false), op(KvOpKind::kPut, 3, 4, true, "a"),
      op(KvOpKind::kPut, 5, 6, true, "b"), op(KvOpKind::kGet, 7, 8, true, "", "a")};
  const LinearizabilityResult r = check_kv_linearizable(h);
  ASSERT_EQ(r.verdict, LinVerdict::kNotLinearizable);
  EXPECT_EQ(r.counterexample, (std::vector<size_t>{1, 2, 3}));
}

}  // namespace
}  // namespace cairn::check
