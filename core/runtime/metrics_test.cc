#include "core/runtime/metrics.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace cairn {
namespace {

TEST(Metrics, HandlesStayValidAndSnapshotIsSortedByName) {
  Metrics m;
  Counter& sent = m.counter("b_sent");
  m.gauge("a_level").set(2.5);
  for (int i = 0; i < 100; ++i) m.counter("c" + std::to_string(i));  // the maps grow
  sent.add(3);
  EXPECT_EQ(&m.counter("b_sent"), &sent);
  const auto snap = m.snapshot();
  EXPECT_EQ(snap.at("b_sent"), 3);
  EXPECT_EQ(snap.at("a_level"), 2.5);
  EXPECT_EQ(snap.begin()->first, "a_level");
}

TEST(Metrics, ForEachVisitsCountersThenGaugesWithTheirValues) {
  Metrics m;
  m.gauge("g1").set(-1);
  m.counter("z").add(7);
  m.counter("a").add(1);
  std::vector<std::pair<std::string, double>> seen;
  m.for_each([&](const std::string& name, double value) { seen.emplace_back(name, value); });
  const std::vector<std::pair<std::string, double>> want{{"a", 1}, {"z", 7}, {"g1", -1}};
  EXPECT_EQ(seen, want);
  m.clear();
  seen.clear();
  m.for_each([&](const std::string& name, double value) { seen.emplace_back(name, value); });
  EXPECT_TRUE(seen.empty());
}

}  // namespace
}  // namespace cairn
