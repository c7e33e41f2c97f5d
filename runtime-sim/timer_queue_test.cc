// TimerQueue against a reference model (an ordered map of (due, id) -> label): any
// sequence of adds, cancels and advances of the clock fires the same timers in the same
// order.
#include "runtime-sim/timer_queue.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <string>

namespace cairn::sim {
namespace {

using std::chrono::milliseconds;

Time at_ms(int64_t ms) { return Time(milliseconds(ms)); }

RC_GTEST_PROP(TimerQueue, FiresLikeAnOrderedMap, ()) {
  const auto ops = *rc::gen::container<std::vector<std::pair<int, int>>>(
      rc::gen::pair(rc::gen::inRange(0, 3), rc::gen::inRange(0, 50)));
  TimerQueue q;
  std::map<std::pair<Time, TimerId>, int> model;
  std::vector<TimerId> ids;
  std::vector<int> fired, want;
  int64_t now_ms = 0;
  int label = 0;
  for (const auto& [kind, arg] : ops) {
    if (kind == 0) {  // add, due now + arg ms (ties with other timers are common)
      const int l = label++;
      const TimerId id = q.add(at_ms(now_ms + arg), [l, &fired] { fired.push_back(l); });
      model.emplace(std::make_pair(at_ms(now_ms + arg), id), l);
      ids.push_back(id);
    } else if (kind == 1 && !ids.empty()) {  // cancel one set earlier (maybe fired)
      const TimerId id = ids[static_cast<size_t>(arg) % ids.size()];
      q.cancel(id);
      std::erase_if(model, [id](const auto& e) { return e.first.second == id; });
    } else {  // advance the clock and fire what is due
      now_ms += arg;
      while (auto fn = q.pop_due(at_ms(now_ms))) (*fn)();
      while (!model.empty() && model.begin()->first.first <= at_ms(now_ms)) {
        want.push_back(model.begin()->second);
        model.erase(model.begin());
      }
    }
    RC_ASSERT(fired == want);
    RC_ASSERT(q.size() == model.size());
    const std::optional<Time> next = q.next();
    RC_ASSERT(next.has_value() == !model.empty());
    if (next) RC_ASSERT(*next == model.begin()->first.first);
  }
}

TEST(TimerQueue, ClearForgetsEverything) {
  TimerQueue q;
  int fired = 0;
  q.add(at_ms(1), [&] { ++fired; });
  q.add(at_ms(2), [&] { ++fired; });
  q.clear();
  EXPECT_FALSE(q.next().has_value());
  EXPECT_FALSE(q.pop_due(at_ms(10)).has_value());
  EXPECT_EQ(fired, 0);
  const TimerId later = q.add(at_ms(3), [&] { ++fired; });
  EXPECT_GT(later, 2u);  // ids are never reused
}

}  // namespace
}  // namespace cairn::sim
