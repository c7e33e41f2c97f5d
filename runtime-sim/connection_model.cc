#include "runtime-sim/connection_model.h"

#include <algorithm>

#include "core/base/assert.h"

namespace cairn::sim {

ConnectionModel::ConnectionModel(const TransportSpec& spec, Duration latency, uint64_t seed)
    : spec_(spec), connect_wait_(2 * latency), rng_(seed) {
  CAIRN_ASSERT(spec.backoff_min > Duration(0));
  CAIRN_ASSERT(spec.backoff_max >= spec.backoff_min);
  CAIRN_ASSERT(latency >= Duration(0));
}

bool ConnectionModel::up(NodeId node, Time at) const {
  auto it = down_.find(node);
  if (it == down_.end()) return true;
  for (auto [from, to] : it->second) {
    if (from <= at && at < to) return false;
  }
  return true;
}

ConnectionModel::Fate ConnectionModel::send(NodeId from, NodeId to, Time now) {
  CAIRN_ASSERT(from != to);
  Link& link = links_[{from, to}];
  settle(link, from, to, now);
  switch (link.state) {
    case State::kConnected:
      return Fate{};
    case State::kBackoff:
      CAIRN_ASSERT(now < link.until);
      if (link.backoff > spec_.hold_backoff_max) {
        ++stats_.dropped;
        return Fate{false, Duration(0)};
      }
      link.retry_pending = true;
      ++stats_.held;
      return Fate{true, link.until - now + connect_wait_};
    case State::kIdle:
      break;
  }
  if (!up(to, now)) {
    ++stats_.connect_failures;
    ++stats_.dropped;
    fail(link, now);
    return Fate{false, Duration(0)};
  }
  connect(link, from, to, now);
  return Fate{true, connect_wait_};
}

void ConnectionModel::settle(Link& link, NodeId from, NodeId to, Time now) {
  // A failed retry starts a new back-off, which may itself be over by now: loop.
  while (link.state == State::kBackoff && link.until <= now) {
    const Time at = link.until;
    if (!link.retry_pending) {
      link.state = State::kIdle;  // reconnect on the next send
    } else if (up(to, at)) {
      connect(link, from, to, at);
    } else {
      ++stats_.connect_failures;
      fail(link, at);  // the held messages are lost (they arrive at a node that is down)
    }
  }
}

void ConnectionModel::connect(Link& link, NodeId from, NodeId to, Time at) {
  link = Link{State::kConnected, 0, Duration(0), at, false};
  ++stats_.connects;
  // The receiver hears our Hello: its link back to us stops backing off.
  auto back = links_.find({to, from});
  if (back == links_.end()) return;
  Link& reverse = back->second;
  settle(reverse, to, from, at);
  reverse.failures = 0;
  if (reverse.state != State::kBackoff || !spec_.hello_ends_backoff) return;
  ++stats_.backoffs_ended_by_hello;
  if (reverse.retry_pending) {
    reverse = Link{State::kConnected, 0, Duration(0), at, false};
    ++stats_.connects;
  } else {
    reverse = Link{};
  }
}

void ConnectionModel::fail(Link& link, Time at) {
  link.failures = std::min(link.failures + 1, 30);
  const int shift = std::min(link.failures - 1, 20);
  Duration backoff = std::min(spec_.backoff_max, spec_.backoff_min * (int64_t{1} << shift));
  backoff +=
      Duration(static_cast<int64_t>(rng_.uniform01() * static_cast<double>(backoff.count()) / 4));
  CAIRN_ASSERT(backoff > Duration(0));
  link.state = State::kBackoff;
  link.backoff = backoff;
  link.until = at + backoff;
  link.retry_pending = false;
}

void ConnectionModel::crash(NodeId node, Time now) {
  CAIRN_ASSERT(up(node, now));
  down_[node].push_back({now, Time::max()});
  for (auto it = links_.begin(); it != links_.end();) {
    auto [from, to] = it->first;
    if (from == node) {
      it = links_.erase(it);  // a new process starts with no connections
      continue;
    }
    if (to == node) {
      settle(it->second, from, to, now);
      if (it->second.state == State::kConnected) fail(it->second, now);  // the socket closed
    }
    ++it;
  }
}

void ConnectionModel::restart(NodeId node, Time now) {
  auto it = down_.find(node);
  CAIRN_ASSERT(it != down_.end() && !it->second.empty());
  CAIRN_ASSERT(it->second.back().second == Time::max());
  CAIRN_ASSERT(it->second.back().first <= now);
  it->second.back().second = now;
}

bool ConnectionModel::backing_off(NodeId from, NodeId to, Time now) {
  Link& link = links_[{from, to}];
  settle(link, from, to, now);
  return link.state == State::kBackoff;
}

}  // namespace cairn::sim
