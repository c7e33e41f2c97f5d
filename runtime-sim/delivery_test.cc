// How cairn-sim times what a node does: message transfer (latency + size / bandwidth below
// the flow threshold, shared-bandwidth flows above it), simulated CPU, disk, and what a
// crash or a pause does to messages in flight. A probe service on every node runs a
// script and logs a "probe" event per arrival or completion; the test reads their times
// from events.jsonl.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/runtime/service.h"
#include "core/wire/message_types.h"
#include "runtime-sim/fork_runner.h"
#include "runtime-sim/world.h"

namespace cairn::sim {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

using Script = std::function<void(Runtime& rt)>;

class Probe final : public Service {
 public:
  Probe(Runtime& rt, Script script) : rt_(rt), script_(std::move(script)) {}
  std::vector<MessageType> message_types() const override { return {wire::kTestProbe}; }
  void start() override {
    if (script_) script_(rt_);
  }
  void on_message(NodeId from, const Message& m) override {
    rt_.log().event(Event{"probe", {{"what", m.header}, {"from", int64_t{from}}}});
  }

 private:
  Runtime& rt_;
  Script script_;
};

// A probe message of `wire_bytes` on the wire, named `what`.
Message probe(const std::string& what, uint64_t wire_bytes) {
  Message m;
  m.type = wire::kTestProbe;
  m.header = what;
  m.payload.virtual_bytes = wire_bytes - kFrameHeaderBytes - what.size();
  return m;
}

void done_event(Runtime& rt, const std::string& what) {
  rt.log().event(Event{"probe", {{"what", what}}});
}

// n nodes with no roles; `scripts[i]` runs on node i+1 at each of its boots.
Scenario quiet(size_t n, Duration duration) {
  Scenario s = make_cluster_scenario("delivery", n, duration);
  for (NodeSpec& node : s.nodes) node.roles.clear();
  s.checks.clear();
  return s;
}

struct Probed {
  std::map<std::string, std::vector<double>> at;  // what -> simulated times (s)
  RunResult result;
};

Probed run(const Scenario& s, std::vector<Script> scripts) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / absl::StrCat("cairn-delivery-", getpid())).string();
  RunOptions options;
  options.out_dir = dir;
  options.extra_service = [scripts](Runtime& rt, const NodeSpec& spec) {
    const size_t i = spec.id - 1;
    return std::make_unique<Probe>(rt, i < scripts.size() ? scripts[i] : Script());
  };
  auto r = run_scenario_in_child(s, options);
  EXPECT_TRUE(r.ok()) << r.status();
  Probed out;
  if (r.ok()) out.result = *r;
  std::ifstream in(dir + "/events.jsonl");
  for (std::string line; std::getline(in, line);) {
    if (line.find("\"kind\":\"probe\"") == std::string::npos) continue;
    const size_t t = line.find("\"t\":") + 4;
    const size_t w = line.find("\"what\":\"") + 8;
    double time = 0;
    EXPECT_TRUE(absl::SimpleAtod(line.substr(t, line.find(',', t) - t), &time)) << line;
    out.at[line.substr(w, line.find('"', w) - w)].push_back(time);
  }
  std::filesystem::remove_all(dir);
  return out;
}

constexpr double kLatency = 250e-6;  // make_cluster_scenario's link: 250 us, 1 Gbps
constexpr double kBandwidth = 125e6;

void expect_latency_plus_size_over_bandwidth(const Scenario& s, double tolerance) {
  auto p = run(s, {[](Runtime& rt) {
                 rt.send(2, probe("small", 1000));
                 rt.after(milliseconds(100), [&rt] { rt.send(2, probe("later", 10000)); });
               }});
  ASSERT_EQ(p.at["small"].size(), 1u);
  EXPECT_NEAR(p.at["small"][0], kLatency + 1000 / kBandwidth, tolerance);
  ASSERT_EQ(p.at["later"].size(), 1u);
  EXPECT_NEAR(p.at["later"][0], 0.1 + kLatency + 10000 / kBandwidth, tolerance);
  EXPECT_EQ(p.result.metrics["messages_delivered"], 2);
}

TEST(SimDelivery, SmallMessageTakesLatencyPlusSizeOverBandwidth) {
  expect_latency_plus_size_over_bandwidth(quiet(2, seconds(1)), 1e-9);
}

// With no contention a flow takes the same time (SimGrid's CM02 model, to its precision).
TEST(SimDelivery, EveryMessageAFlowGivesTheSameTimesAlone) {
  Scenario s = quiet(2, seconds(1));
  s.link.flow_threshold_bytes = 0;
  expect_latency_plus_size_over_bandwidth(s, 1e-6);
}

// Two senders push 1.25 MB each to one receiver at once: as flows they share its link
// (both take twice as long), below the threshold they do not.
TEST(SimDelivery, FlowsShareBandwidthSmallMessagesDoNot) {
  const uint64_t bytes = 1'250'000;  // 10 ms alone on a 1 Gbps link
  auto send = [bytes](Runtime& rt) { rt.send(3, probe("big", bytes)); };
  Scenario s = quiet(3, seconds(1));
  auto flows = run(s, {send, send});
  ASSERT_EQ(flows.at["big"].size(), 2u);
  for (double t : flows.at["big"]) EXPECT_NEAR(t, kLatency + 2 * bytes / kBandwidth, 2e-4);

  s.link.flow_threshold_bytes = 2 * bytes;
  auto timed = run(s, {send, send});
  ASSERT_EQ(timed.at["big"].size(), 2u);
  for (double t : timed.at["big"]) EXPECT_NEAR(t, kLatency + bytes / kBandwidth, 1e-9);
}

TEST(SimDelivery, ComputeChargesSimulatedCpuShared) {
  Scenario s = quiet(1, seconds(5));
  s.cpu_flops = 1e9;
  auto p = run(s, {[](Runtime& rt) {
                 rt.compute(Cost{1e9}, nullptr, [&rt] { done_event(rt, "one"); });
                 rt.after(seconds(2), [&rt] {
                   for (int i = 0; i < 2; ++i) {
                     rt.compute(Cost{1e9}, nullptr, [&rt] { done_event(rt, "pair"); });
                   }
                 });
               }});
  ASSERT_EQ(p.at["one"].size(), 1u);
  EXPECT_NEAR(p.at["one"][0], 1.0, 1e-6);
  ASSERT_EQ(p.at["pair"].size(), 2u);  // two at once share the CPU: 2 s each
  for (double t : p.at["pair"]) EXPECT_NEAR(t, 4.0, 1e-6);
}

TEST(SimDelivery, DiskWriteTakesSizeOverBandwidth) {
  Scenario s = quiet(1, seconds(1));
  s.disk.write_bytes_per_s = 300e6;
  auto p = run(s, {[](Runtime& rt) {
                 rt.disk().write("f", std::string(3'000'000, 'x'), [&rt](absl::Status st) {
                   EXPECT_TRUE(st.ok());
                   done_event(rt, "written");
                 });
               }});
  ASSERT_EQ(p.at["written"].size(), 1u);
  EXPECT_NEAR(p.at["written"][0], 0.01, 1e-6);
}

// A message is on the wire once sent: its sender crashing does not take it back. One in
// flight to a node that crashes is lost (counted stale), small or flow.
TEST(SimDelivery, CrashOfSenderKeepsMessagesCrashOfReceiverDropsThem) {
  Scenario s = quiet(3, seconds(3));
  s.faults = {Fault{.at = microseconds(1'000'100), .kind = FaultKind::kCrash, .nodes = {1}},
              Fault{.at = microseconds(2'000'100), .kind = FaultKind::kCrash, .nodes = {2}}};
  auto p = run(s, {[](Runtime& rt) {
                     rt.after(seconds(1), [&rt] {
                       rt.send(3, probe("orphan-small", 100));
                       rt.send(3, probe("orphan-flow", 100'000));
                     });
                   },
                   nullptr,
                   [](Runtime& rt) {
                     rt.after(seconds(2), [&rt] {
                       rt.send(2, probe("to-dead-small", 100));
                       rt.send(2, probe("to-dead-flow", 100'000));
                     });
                   }});
  EXPECT_EQ(p.at["orphan-small"].size(), 1u);
  EXPECT_EQ(p.at["orphan-flow"].size(), 1u);
  EXPECT_EQ(p.at["to-dead-small"].size(), 0u);
  EXPECT_EQ(p.at["to-dead-flow"].size(), 0u);
  EXPECT_EQ(p.result.metrics["messages_stale"], 2);
}

TEST(SimDelivery, PausedNodeGetsItsMessagesWhenThePauseEnds) {
  Scenario s = quiet(2, seconds(3));
  s.faults = {Fault{
      .at = seconds(1), .kind = FaultKind::kPause, .nodes = {2}, .length = milliseconds(500)}};
  auto p = run(s, {[](Runtime& rt) {
                 rt.after(milliseconds(1200), [&rt] { rt.send(2, probe("during", 100)); });
                 rt.after(milliseconds(1600), [&rt] { rt.send(2, probe("after", 100)); });
               }});
  ASSERT_EQ(p.at["during"].size(), 1u);
  EXPECT_NEAR(p.at["during"][0], 1.5, 1e-9);
  ASSERT_EQ(p.at["after"].size(), 1u);
  EXPECT_NEAR(p.at["after"][0], 1.6 + kLatency + 100 / kBandwidth, 1e-9);
}

}  // namespace
}  // namespace cairn::sim
