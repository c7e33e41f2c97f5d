// The simulator's model of the TCP transport's connections (connection_model.h), against
// the behaviour of runtime-real/tcp_link.cc step by step.
#include "runtime-sim/connection_model.h"

#include <gtest/gtest.h>

namespace cairn::sim {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr Duration kLatency = std::chrono::microseconds(50);

Time at_ms(int64_t ms) { return Time(milliseconds(ms)); }

TransportSpec spec() {
  TransportSpec s;
  s.model = true;
  return s;  // cairnd's defaults: 20 ms doubling to 2 s, hold up to 250 ms
}

TEST(ConnectionModel, AFirstSendConnectsAndWaitsOneRoundTrip) {
  ConnectionModel m(spec(), kLatency, 1);
  auto f = m.send(1, 2, at_ms(0));
  EXPECT_TRUE(f.deliver);
  EXPECT_EQ(f.wait, 2 * kLatency);
  f = m.send(1, 2, at_ms(1));
  EXPECT_TRUE(f.deliver);
  EXPECT_EQ(f.wait, Duration(0));
  EXPECT_EQ(m.stats().connects, 1u);
}

TEST(ConnectionModel, BackoffDoublesToTheCapWhileThePeerIsDown) {
  ConnectionModel m(spec(), kLatency, 2);
  m.send(1, 2, at_ms(0));
  m.crash(2, at_ms(100));  // the connection closes: first back-off, 20-25 ms
  EXPECT_TRUE(m.backing_off(1, 2, at_ms(119)));
  EXPECT_FALSE(m.backing_off(1, 2, at_ms(126)));
  // Sends every 200 ms each hit an idle link and fail: 40, 80, ... 2000 ms (+25 %).
  int64_t t = 200;
  for (int i = 0; i < 12; ++i) {
    while (m.backing_off(1, 2, at_ms(t))) t += 200;
    EXPECT_FALSE(m.send(1, 2, at_ms(t)).deliver);
  }
  // Capped: the last back-off is 2 s to 2.5 s.
  EXPECT_TRUE(m.backing_off(1, 2, at_ms(t + 1999)));
  EXPECT_FALSE(m.backing_off(1, 2, at_ms(t + 2501)));
  EXPECT_EQ(m.stats().connect_failures, 12u);
}

TEST(ConnectionModel, ALongBackoffDropsAndAShortOneHolds) {
  ConnectionModel m(spec(), kLatency, 3);
  m.send(1, 2, at_ms(0));
  m.crash(2, at_ms(10));  // back-off 20-25 ms: short, so a send waits for the retry
  auto f = m.send(1, 2, at_ms(11));
  EXPECT_TRUE(f.deliver);
  EXPECT_GE(f.wait, milliseconds(19));  // until the back-off ends, then the handshake
  EXPECT_LE(f.wait, milliseconds(25));
  EXPECT_EQ(m.stats().held, 1u);
  // The retry at the back-off's end fails (n2 is still down): 40-50 ms, then 80-100 ms,
  // 160-200 ms, 320-400 ms: too long to hold.
  Time t = at_ms(40);
  while (m.stats().connect_failures < 4) {
    if (!m.backing_off(1, 2, t)) m.send(1, 2, t);
    t += milliseconds(10);
  }
  ASSERT_TRUE(m.backing_off(1, 2, t));
  EXPECT_FALSE(m.send(1, 2, t).deliver);
}

TEST(ConnectionModel, AHelloFromARestartedPeerEndsTheBackoff) {
  ConnectionModel m(spec(), kLatency, 4);
  m.send(1, 2, at_ms(0));
  m.crash(2, at_ms(100));
  int64_t t = 200;
  while (t < 10000) {  // ten seconds of heartbeats: the back-off reaches its cap
    m.send(1, 2, at_ms(t));
    t += 200;
  }
  m.restart(2, at_ms(t));
  ASSERT_TRUE(m.backing_off(1, 2, at_ms(t + 1)));
  EXPECT_FALSE(m.send(1, 2, at_ms(t + 1)).deliver);
  // n2 speaks to n1: n1's link to n2 may connect at once.
  EXPECT_TRUE(m.send(2, 1, at_ms(t + 2)).deliver);
  EXPECT_FALSE(m.backing_off(1, 2, at_ms(t + 3)));
  EXPECT_TRUE(m.send(1, 2, at_ms(t + 3)).deliver);
  EXPECT_EQ(m.stats().backoffs_ended_by_hello, 1u);
}

TEST(ConnectionModel, WithoutHelloTheRestartedPeerWaitsOutTheBackoff) {
  TransportSpec s = spec();
  s.hello_ends_backoff = false;
  ConnectionModel m(s, kLatency, 4);
  m.send(1, 2, at_ms(0));
  m.crash(2, at_ms(100));
  int64_t t = 200;
  while (t < 10000) {
    m.send(1, 2, at_ms(t));
    t += 200;
  }
  m.restart(2, at_ms(t));
  EXPECT_TRUE(m.send(2, 1, at_ms(t + 2)).deliver);
  EXPECT_TRUE(m.backing_off(1, 2, at_ms(t + 3)));
  EXPECT_FALSE(m.send(1, 2, at_ms(t + 3)).deliver);
  EXPECT_FALSE(m.backing_off(1, 2, at_ms(t + 2600)));  // over by 2.5 s at the latest
  EXPECT_TRUE(m.send(1, 2, at_ms(t + 2600)).deliver);
}

TEST(ConnectionModel, SameSeedSameBackoffs) {
  auto run = [](uint64_t seed) {
    ConnectionModel m(spec(), kLatency, seed);
    m.send(1, 2, at_ms(0));
    m.crash(2, at_ms(1));
    std::vector<int64_t> ends;
    for (int64_t t = 2; t < 20000; ++t) {
      const bool was = m.backing_off(1, 2, at_ms(t - 1));
      if (was && !m.backing_off(1, 2, at_ms(t))) ends.push_back(t);
      if (!m.backing_off(1, 2, at_ms(t))) m.send(1, 2, at_ms(t));
    }
    return ends;
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

constexpr const char* kScenario = R"(name: t
duration: 10s
platform: {nodes: [{count: 3}]}
)";

TEST(TransportScenarioKey, TheModelIsOffByDefaultAndGivesTheGraceWhenOn) {
  auto plain = parse_scenario_text(kScenario, "t.yaml");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE(plain->transport.model);
  EXPECT_EQ(plain->membership().first_contact_grace, Duration(0));

  auto on = parse_scenario_text(std::string(kScenario) + "transport: {model: tcp}\n", "t.yaml");
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_TRUE(on->transport.model);
  EXPECT_EQ(on->membership().first_contact_grace, milliseconds(2500));

  auto own = parse_scenario_text(std::string(kScenario) +
                                     "membership: {first_contact: 1s}\n"
                                     "transport: {model: tcp, backoff_max: 4s, hold: 0s}\n",
                                 "t.yaml");
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(own->membership().first_contact_grace, seconds(1));
  EXPECT_EQ(own->transport.backoff_max, seconds(4));
  EXPECT_EQ(own->transport.hold_backoff_max, Duration(0));
}

TEST(TransportScenarioKey, MistakesNameTheLine) {
  auto bad = parse_scenario_text(std::string(kScenario) + "transport: {model: udp}\n", "t.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("t.yaml:4: unknown transport model 'udp'"),
            std::string::npos)
      << bad.status();
  auto order = parse_scenario_text(
      std::string(kScenario) + "transport: {model: tcp, backoff_min: 3s, backoff_max: 2s}\n",
      "t.yaml");
  ASSERT_FALSE(order.ok());
  EXPECT_NE(order.status().message().find("backoff_max must be at least backoff_min"),
            std::string::npos)
      << order.status();
}

}  // namespace
}  // namespace cairn::sim
