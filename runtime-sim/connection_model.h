// What the real TCP transport does towards a peer it cannot reach, as a pure model for the
// simulator (the `transport: {model: tcp}` switch; runtime-real/tcp_link.cc is what it
// models).
//
// Each directed pair of nodes has a link: idle, connected, or backing off. A send on an
// idle link connects if the receiver is up (the message then waits one round trip for the
// handshake) and fails if it is down: the message is lost and the link backs off for
// backoff_min doubling to backoff_max, plus up to 25 % jitter. A send during a back-off of
// at most hold_backoff_max waits for the retry at its end; during a longer one it is lost.
// A connected link fails when its receiver crashes (the peer's socket closes), and a
// crashed node's own links start afresh. When a link connects, the receiver's link back
// to the sender ends its back-off (the Hello), if hello_ends_backoff.
//
// Promises: deterministic (jitter comes from its own generator, seeded by the caller);
// knows nothing of SimGrid; the fate of a message depends only on calls made before it.
// Simplification: messages held for a retry keep their release time even when a Hello
// ends the back-off earlier (they are late by at most hold_backoff_max).
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "core/runtime/rng.h"
#include "runtime-sim/scenario.h"

namespace cairn::sim {

class ConnectionModel {
 public:
  // `latency`: one-way node-to-node latency (a connect costs a round trip).
  ConnectionModel(const TransportSpec& spec, Duration latency, uint64_t seed);

  struct Fate {
    bool deliver = true;
    Duration wait{0};  // before the message goes on the wire
  };
  // A message sent now from `from` to `to`.
  Fate send(NodeId from, NodeId to, Time now);
  void crash(NodeId node, Time now);
  void restart(NodeId node, Time now);

  struct Stats {
    uint64_t connects = 0;
    uint64_t connect_failures = 0;
    uint64_t dropped = 0;  // lost: sent on a failing connect or during a long back-off
    uint64_t held = 0;     // waited for the retry at the end of a short back-off
    uint64_t backoffs_ended_by_hello = 0;
  };
  const Stats& stats() const { return stats_; }
  // For tests: whether the link from -> to is backing off at `now`.
  bool backing_off(NodeId from, NodeId to, Time now);

 private:
  enum class State { kIdle, kConnected, kBackoff };
  struct Link {
    State state = State::kIdle;
    int failures = 0;
    Duration backoff{0};
    Time until{};
    bool retry_pending = false;  // messages wait for the retry at `until`
  };

  bool up(NodeId node, Time at) const;
  // Brings `link` (from -> to) up to `now`: ends expired back-offs, runs pending retries.
  void settle(Link& link, NodeId from, NodeId to, Time now);
  void connect(Link& link, NodeId from, NodeId to, Time at);
  void fail(Link& link, Time at);

  TransportSpec spec_;
  Duration connect_wait_;
  Rng rng_;
  std::map<std::pair<NodeId, NodeId>, Link> links_;
  std::map<NodeId, std::vector<std::pair<Time, Time>>> down_;  // [crash, restart)
  Stats stats_;
};

}  // namespace cairn::sim
