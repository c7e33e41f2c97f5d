#include "core/repair/score_service.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/membership/membership.h"
#include "core/meta/namespace_service.h"
#include "core/raft/mux_state_machine.h"
#include "core/repair/registry_placement.h"
#include "core/storage/node_stat.pb.h"
#include "core/storage/status_wire.h"
#include "core/wire/message_types.h"

namespace cairn::repair {

ScoreService::ScoreService(Runtime& rt, raft::RaftService& raft,
                           const meta::NamespaceStateMachine& ns,
                           const membership::Membership* detector,
                           std::shared_ptr<const placement::PlacementPolicy> configured,
                           ScoreSettings settings)
    : rt_(rt),
      raft_(raft),
      ns_(ns),
      detector_(detector),
      configured_(std::move(configured)),
      settings_(settings) {
  CAIRN_ASSERT(settings_.validate().ok());
  CAIRN_ASSERT(configured_ != nullptr);
}

ScoreService::~ScoreService() { rt_.cancel(timer_); }

std::vector<MessageType> ScoreService::message_types() const {
  return {cairn::wire::kNodeStatDone};
}

void ScoreService::start() {
  if (settings_.interval > Duration(0)) schedule();
}

void ScoreService::schedule() {
  timer_ = rt_.after(settings_.interval / kScoreSamplesPerInterval,
                     [this, token = std::weak_ptr<bool>(alive_)] {
                       if (token.expired()) return;
                       sample();
                       schedule();
                     });
}

void ScoreService::check_invariants() const {
  if (feed_) feed_->check_invariants();
  CAIRN_ASSERT(commits_in_flight_ >= 0);
  CAIRN_ASSERT(feed_ || probes_.empty());
}

void ScoreService::sample() {
  if (!raft_.is_leader()) {
    if (feed_) {
      feed_.reset();
      probes_.clear();
      commits_in_flight_ = 0;
      ++generation_;
      export_gauges({});
    }
    return;
  }
  if (!feed_) {  // leading anew: measure from scratch, step from the registry's weights
    feed_.emplace(settings_.feed());
    samples_ = 0;
    ++generation_;
  }
  const Time now = rt_.now();
  for (const auto& [id, weight] : current_weights()) {
    bool up = true;
    if (detector_ != nullptr && id != rt_.self()) {
      const auto& members = detector_->table().members();
      if (std::binary_search(members.begin(), members.end(), id)) {
        up = detector_->table().get(id).state != membership::State::kDead;
      }
    }
    feed_->liveness(id, up);
    auto in_flight = probes_.find(id);
    if (in_flight != probes_.end()) {
      if (now - in_flight->second.sent < settings_.interval) continue;
      rt_.metrics().counter("score_probe_failures").add();
      probes_.erase(in_flight);
    }
    if (!up) continue;
    const uint64_t request_id = next_probe_id_++;
    probes_[id] = Probe{.id = request_id, .sent = now};
    storage::wire::NodeStatRequest request;
    request.set_request_id(request_id);
    Message m;
    m.type = cairn::wire::kNodeStat;
    m.header = request.SerializeAsString();
    rt_.send(id, std::move(m));
  }
  if (++samples_ % kScoreSamplesPerInterval == 0) step();
}

void ScoreService::on_message(NodeId from, const Message& message) {
  storage::wire::NodeStatResponse r;
  if (!r.ParseFromString(message.header)) {
    rt_.metrics().counter("score_bad_responses").add();
    return;
  }
  auto it = probes_.find(from);
  if (!feed_ || it == probes_.end() || it->second.id != r.request_id()) return;  // late
  const Duration round_trip = rt_.now() - it->second.sent;
  probes_.erase(it);
  if (!storage::from_wire(r.status()).ok()) {
    rt_.metrics().counter("score_probe_failures").add();
    return;
  }
  rt_.metrics().counter("score_probes").add();
  feed_->probe(from, r.capacity_bytes(), r.free_bytes(), round_trip);
}

void ScoreService::transfer(NodeId node, bool start, uint64_t bytes) {
  if (!feed_) return;
  if (start) {
    feed_->transfer_start(node, rt_.now());
  } else {
    feed_->transfer_end(node, bytes, rt_.now());
  }
}

std::map<NodeId, double> ScoreService::current_weights() const {
  std::map<NodeId, double> out;
  const auto& topo = configured_->topology();
  for (uint32_t i = 0; i < topo.size(); ++i) out[topo.node(i).id] = topo.node(i).weight;
  for (const auto& [id, n] : ns_.registry().nodes()) {
    if (n.state() == meta::wire::NODE_UP) {
      out[id] = registered_weight(n);
    } else {
      out.erase(id);  // draining or dead: never re-weighted
    }
  }
  return out;
}

void ScoreService::step() {
  feed_->close_period(rt_.now());
  std::map<NodeId, double> weights = current_weights();
  if (commits_in_flight_ > 0) return;  // the last step is not applied yet
  size_t scored = 0;
  for (const auto& [id, w] : weights) scored += feed_->measured(id) ? 1 : 0;
  rt_.metrics().gauge("score_nodes_scored").set(static_cast<double>(scored));
  for (const WeightChange& c : feed_->step(weights)) {
    commit(c);
    weights[c.node] = c.new_weight;
  }
  export_gauges(weights);
}

void ScoreService::commit(const WeightChange& c) {
  meta::wire::NsCommand cmd;
  meta::wire::RegisterNode* reg = cmd.mutable_register_node();
  meta::wire::StorageNode* n = reg->mutable_node();
  const auto& registry = ns_.registry().nodes();
  if (auto it = registry.find(c.node); it != registry.end()) *n = it->second;
  n->set_id(c.node);
  n->set_state(meta::wire::NODE_UP);
  n->set_weight(c.new_weight);
  reg->set_only_if_up(true);
  const placement::NodeMeasurements& m = c.measured;
  rt_.metrics().counter("score_updates").add();
  rt_.log().event(Event{"score_update",
                        {{"node", static_cast<int64_t>(c.node)},
                         {"old", c.old_weight},
                         {"new", c.new_weight},
                         {"capacity", static_cast<int64_t>(m.capacity_bytes)},
                         {"free", static_cast<int64_t>(m.free_bytes)},
                         {"bandwidth", m.bandwidth_bytes_per_s},
                         {"latency_ms", m.latency_ms},
                         {"uptime", m.uptime},
                         {"flaps", static_cast<int64_t>(m.flaps)}}});
  ++commits_in_flight_;
  raft_.propose(
      raft::MuxStateMachine::wrap(meta::kNamespaceChannel, cmd.SerializeAsString()),
      [this, gen = generation_,
       token = std::weak_ptr<bool>(alive_)](absl::StatusOr<std::string> r) {
        if (token.expired() || gen != generation_) return;
        --commits_in_flight_;
        meta::wire::NsResult result;
        if (!r.ok() || !result.ParseFromString(*r) || !storage::from_wire(result.status()).ok()) {
          // Lost with the leadership, or refused (no longer registered up).
          rt_.metrics().counter("score_commit_failures").add();
        }
      });
}

void ScoreService::export_gauges(const std::map<NodeId, double>& weights) {
  double lo = 0, hi = 0;
  for (const auto& [id, w] : weights) {
    lo = lo == 0 ? w : std::min(lo, w);
    hi = std::max(hi, w);
  }
  rt_.metrics().gauge("score_weight_min").set(lo);
  rt_.metrics().gauge("score_weight_max").set(hi);
  if (weights.empty()) rt_.metrics().gauge("score_nodes_scored").set(0);
}

}  // namespace cairn::repair
