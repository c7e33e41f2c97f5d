#include "core/repair/score_feed.h"

#include <algorithm>
#include <cmath>

#include "core/base/assert.h"

namespace cairn::repair {
namespace {

double median(std::vector<double> xs) {
  CAIRN_ASSERT(!xs.empty());
  std::sort(xs.begin(), xs.end());
  const size_t mid = xs.size() / 2;
  return xs.size() % 2 == 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

template <typename T>
void push_bounded(std::deque<T>& q, T x, size_t max) {
  q.push_back(x);
  while (q.size() > max) q.pop_front();
}

}  // namespace

ScoreFeed::ScoreFeed(FeedOptions options) : options_(options) {
  CAIRN_ASSERT(options_.window > 0);
  CAIRN_ASSERT(options_.bandwidth_steps > 0);
}

void ScoreFeed::liveness(NodeId node, bool up) {
  push_bounded(nodes_[node].up, up, options_.window);
}

void ScoreFeed::probe(NodeId node, uint64_t capacity_bytes, uint64_t free_bytes,
                      Duration round_trip) {
  Node& n = nodes_[node];
  n.capacity_bytes = capacity_bytes;
  n.free_bytes = std::min(free_bytes, capacity_bytes);
  const double ms = std::chrono::duration<double, std::milli>(round_trip).count();
  push_bounded(n.round_trips_ms, std::max(ms, 0.0), options_.window);
  ++n.probes;
}

void ScoreFeed::transfer_start(NodeId node, Time now) {
  Node& n = nodes_[node];
  if (n.in_flight++ == 0) n.busy_since = now;
}

void ScoreFeed::transfer_end(NodeId node, uint64_t bytes, Time now) {
  auto it = nodes_.find(node);
  if (it == nodes_.end() || it->second.in_flight == 0) return;
  Node& n = it->second;
  n.period_bytes += bytes;
  if (--n.in_flight == 0) n.period_busy += now - n.busy_since;
}

void ScoreFeed::close_period(Time now) {
  for (auto& [id, n] : nodes_) {
    Duration busy = n.period_busy;
    if (n.in_flight > 0) {  // a transfer still under way: count its time so far
      busy += now - n.busy_since;
      n.busy_since = now;
    }
    const double seconds = std::chrono::duration<double>(busy).count();
    if (n.period_bytes > 0 && seconds > 0) {
      push_bounded(n.throughputs, static_cast<double>(n.period_bytes) / seconds,
                   options_.bandwidth_steps);
    }
    n.period_bytes = 0;
    n.period_busy = Duration(0);
  }
}

double ScoreFeed::bandwidth(const Node& n) const {
  if (n.throughputs.empty() || n.throughputs.size() < options_.min_bandwidth_steps) return 0;
  return *std::max_element(n.throughputs.begin(), n.throughputs.end());
}

double ScoreFeed::median_bandwidth() const {
  std::vector<double> measured;
  for (const auto& [id, n] : nodes_) {
    if (bandwidth(n) > 0) measured.push_back(bandwidth(n));
  }
  return measured.empty() ? 0.0 : median(std::move(measured));
}

std::optional<placement::NodeMeasurements> ScoreFeed::measured(NodeId node) const {
  auto it = nodes_.find(node);
  if (it == nodes_.end() || it->second.probes < options_.min_probes) return std::nullopt;
  const Node& n = it->second;
  placement::NodeMeasurements m;
  m.capacity_bytes = n.capacity_bytes;
  m.free_bytes = n.free_bytes;
  m.bandwidth_bytes_per_s = bandwidth(n) > 0 ? bandwidth(n) : median_bandwidth();
  m.latency_ms = median({n.round_trips_ms.begin(), n.round_trips_ms.end()});
  if (!n.up.empty()) {
    const auto ups = std::count(n.up.begin(), n.up.end(), true);
    m.uptime = static_cast<double>(ups) / static_cast<double>(n.up.size());
    for (size_t i = 1; i < n.up.size(); ++i) m.flaps += (!n.up[i - 1] && n.up[i]) ? 1 : 0;
  }
  return m;
}

std::vector<WeightChange> ScoreFeed::step(const std::map<NodeId, double>& current) const {
  std::map<NodeId, double> weights, scores;
  std::map<NodeId, placement::NodeMeasurements> used;
  std::vector<double> ratios;  // current weight / score
  for (const auto& [id, w] : current) {
    CAIRN_ASSERT(std::isfinite(w) && w > 0);
    auto m = measured(id);
    if (!m) continue;
    weights[id] = w;
    scores[id] = placement::score(*m, options_.score);
    used[id] = *m;
    ratios.push_back(w / scores[id]);
  }
  std::vector<WeightChange> out;
  if (scores.empty()) return out;
  const double scale = median(std::move(ratios));  // weights are shares: keep the typical one
  CAIRN_ASSERT(std::isfinite(scale) && scale > 0);
  for (auto& [id, s] : scores) s *= scale;
  const auto next = placement::next_weights(weights, scores, options_.churn);
  for (const auto& [id, w] : next) {
    const double old = weights.at(id);
    if (w == old) continue;
    CAIRN_ASSERT(std::abs(w - old) <= options_.churn.max_step * old * (1 + 1e-9));
    out.push_back(
        WeightChange{.node = id, .old_weight = old, .new_weight = w, .measured = used[id]});
  }
  return out;
}

void ScoreFeed::check_invariants() const {
  for (const auto& [id, n] : nodes_) {
    CAIRN_ASSERT(n.up.size() <= options_.window);
    CAIRN_ASSERT(n.round_trips_ms.size() <= options_.window);
    CAIRN_ASSERT(n.in_flight >= 0);
    CAIRN_ASSERT(n.free_bytes <= n.capacity_bytes || n.capacity_bytes == 0);
  }
}

}  // namespace cairn::repair
