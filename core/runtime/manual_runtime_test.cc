#include "core/runtime/manual_runtime.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

using std::chrono::milliseconds;

TEST(ManualRuntime, TimersFireInTimeThenInsertionOrder) {
  ManualCluster cluster(1);
  ManualRuntime& rt = cluster.add_node(1);
  std::vector<int> fired;
  rt.after(milliseconds(20), [&] { fired.push_back(3); });
  rt.after(milliseconds(10), [&] { fired.push_back(1); });
  rt.after(milliseconds(10), [&] { fired.push_back(2); });
  TimerId cancelled = rt.after(milliseconds(15), [&] { fired.push_back(99); });
  rt.cancel(cancelled);
  cluster.advance(milliseconds(15));
  EXPECT_EQ(fired, (std::vector<int>{1, 2}));
  EXPECT_EQ(rt.now().time_since_epoch(), milliseconds(15));
  cluster.advance(milliseconds(10));
  EXPECT_EQ(fired, (std::vector<int>{1, 2, 3}));
}

TEST(ManualRuntime, MessagesArriveAfterLatencyAndFiltersDrop) {
  ManualCluster cluster(1);
  ManualRuntime& a = cluster.add_node(1);
  cluster.add_node(2);
  std::vector<std::string> got;
  cluster.set_handler(2, [&](NodeId from, const Message& m) {
    EXPECT_EQ(from, 1u);
    got.push_back(m.header);
  });
  cluster.filter = [](NodeId, NodeId, const Message& m) { return m.header != "drop"; };
  a.send(2, Message{.type = 1, .header = "hello"});
  a.send(2, Message{.type = 1, .header = "drop"});
  a.send(3, Message{.type = 1, .header = "nobody"});
  cluster.advance(milliseconds(0));
  EXPECT_TRUE(got.empty());
  cluster.advance(cluster.latency);
  EXPECT_EQ(got, (std::vector<std::string>{"hello"}));
  EXPECT_EQ(cluster.messages_dropped, 2u);
}

TEST(ManualRuntime, CrashDropsPendingWorkAndUnsyncedData) {
  ManualCluster cluster(1);
  ManualRuntime& rt = cluster.add_node(1);
  bool fired = false;
  rt.after(milliseconds(5), [&] { fired = true; });
  bool written = false;
  rt.disk().write("f", "data", [&](absl::Status s) { written = s.ok(); });
  cluster.advance(milliseconds(0));
  EXPECT_TRUE(written);
  cluster.crash(1);
  cluster.advance(milliseconds(10));
  EXPECT_FALSE(fired);
  cluster.restart(1);
  absl::StatusCode code = absl::StatusCode::kOk;
  rt.disk().read("f", [&](absl::StatusOr<std::string> r) { code = r.status().code(); });
  cluster.advance(milliseconds(0));
  EXPECT_EQ(code, absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace cairn
