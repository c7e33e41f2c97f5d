#include "core/membership/membership.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/runtime/disk_util.h"
#include "core/wire/membership.pb.h"
#include "core/wire/message_types.h"

namespace cairn::membership {
namespace {

wire::MemberState to_wire(State s) {
  switch (s) {
    case State::kAlive:
      return wire::MEMBER_ALIVE;
    case State::kSuspect:
      return wire::MEMBER_SUSPECT;
    case State::kDead:
      return wire::MEMBER_DEAD;
  }
  return wire::MEMBER_ALIVE;
}

std::optional<State> from_wire(int s) {
  switch (s) {
    case wire::MEMBER_ALIVE:
      return State::kAlive;
    case wire::MEMBER_SUSPECT:
      return State::kSuspect;
    case wire::MEMBER_DEAD:
      return State::kDead;
    default:
      return std::nullopt;
  }
}

std::string node_name(NodeId n) { return absl::StrCat("n", n); }

void add_record(wire::MembershipMessage& m, const Record& r) {
  auto* u = m.add_updates();
  u->set_node(r.node);
  u->set_state(to_wire(r.state));
  u->set_incarnation(r.incarnation);
}

}  // namespace

Membership::Membership(Runtime& rt, MembershipOptions options, std::vector<NodeId> members,
                       MembershipObserver* observer)
    : rt_(rt), options_(options), observer_(observer), table_(rt.self(), members) {
  CAIRN_ASSERT(options_.validate().ok());
  // Successors and predecessors on the ring of sorted ids; static, so that watcher and
  // watched never disagree about who watches whom.
  const auto& ring = table_.members();
  const size_t n = ring.size();
  const size_t me =
      static_cast<size_t>(std::lower_bound(ring.begin(), ring.end(), rt.self()) - ring.begin());
  const size_t k = std::min(options_.monitors, n - 1);
  for (size_t i = 1; i <= k; ++i) {
    successors_.push_back(ring[(me + i) % n]);
    predecessors_.push_back(ring[(me + n - i) % n]);
  }
  const auto log2n = static_cast<size_t>(std::ceil(std::log2(static_cast<double>(n) + 1)));
  retransmit_limit_ = options_.retransmit_mult * std::max<size_t>(1, log2n);
  Metrics& m = rt_.metrics();
  counters_ = Counters{
      &m.counter("membership_heartbeats_sent"),   &m.counter("membership_heartbeats_received"),
      &m.counter("membership_gossip_sent"),       &m.counter("membership_sync_sent"),
      &m.counter("membership_suspicions_raised"), &m.counter("membership_deaths_declared"),
      &m.counter("membership_refutations"),       &m.counter("membership_bad_messages")};
}

Membership::~Membership() {
  for (auto& [node, id] : deadline_timers_) rt_.cancel(id);
  for (auto& [node, id] : suspect_timers_) rt_.cancel(id);
  rt_.cancel(tick_timer_);
  rt_.cancel(sync_timer_);
}

std::vector<MessageType> Membership::types() {
  return {wire::kHeartbeat, wire::kGossip, wire::kSyncRequest, wire::kSyncResponse};
}

std::vector<MessageType> Membership::message_types() const { return types(); }

void Membership::start() {
  // The incarnation survives restarts so that "alive again" outranks "dead" everywhere.
  rt_.disk().read(kIncarnationFile, [this](absl::StatusOr<std::string> stored) {
    // A first start is incarnation 0, which everyone assumes already (no news to spread);
    // each restart raises it, so that "alive again" outranks every older "dead".
    uint64_t previous = 0;
    if (!stored.ok()) return begin(0);
    if (!absl::SimpleAtoi(*stored, &previous)) {
      rt_.log().warn(absl::StrCat("ignoring unreadable ", kIncarnationFile));
      previous = 0;
    }
    begin(previous + 1);
  });
}

void Membership::begin(uint64_t incarnation) {
  started_ = true;
  incarnation_ = incarnation;
  persist_incarnation();
  apply(Record{rt_.self(), State::kAlive, incarnation_}, "start");
  // Watch predecessors from now on, as if each had just sent a heartbeat: one that never
  // shows up is suspected like one that stopped, only first_contact_grace later (its link
  // to us may still be backing off from the time we were down).
  for (NodeId p : predecessors_) {
    detectors_.insert_or_assign(p, PhiAccrual(options_.detector));
    detectors_.at(p).heartbeat(rt_.now());
    unheard_.insert(p);
    arm_deadline(p);
  }
  // A random phase keeps the cluster's heartbeats from firing in lockstep.
  const auto period = static_cast<uint64_t>(options_.heartbeat_interval.count());
  tick_timer_ =
      rt_.after(Duration(static_cast<int64_t>(rt_.rng().below(period))), [this] { tick(); });
  // Catch up with the cluster's news (we may be restarting after a long absence).
  if (!successors_.empty()) send_sync(wire::kSyncRequest, successors_.front());
  if (options_.anti_entropy_interval > Duration(0)) {
    sync_timer_ = rt_.after(options_.anti_entropy_interval, [this] { anti_entropy(); });
  }
  update_gauges();
}

std::optional<NodeId> Membership::random_live_peer() {
  // Drawn by rejection so that a pick costs O(1) rather than an O(n) scan; the bound on
  // tries keeps a mostly-dead cluster from spinning.
  const auto& ring = table_.members();
  for (int tries = 0; tries < 16 && ring.size() > 1; ++tries) {
    const NodeId peer = ring[rt_.rng().below(ring.size())];
    if (peer != rt_.self() && table_.get(peer).state != State::kDead) return peer;
  }
  return std::nullopt;
}

void Membership::anti_entropy() {
  if (auto peer = random_live_peer()) send_sync(wire::kSyncRequest, *peer);
  sync_timer_ = rt_.after(options_.anti_entropy_interval, [this] { anti_entropy(); });
}

void Membership::tick() {
  send_heartbeats();
  if (!pending_.empty()) send_gossip(options_.gossip_fanout);
  tick_timer_ = rt_.after(options_.heartbeat_interval, [this] { tick(); });
}

void Membership::send_heartbeats() {
  for (NodeId to : successors_) {
    wire::MembershipMessage m;
    m.set_sender_incarnation(incarnation_);
    m.set_sequence(++sequence_);
    fill_updates(m);
    rt_.send(to, encode(wire::kHeartbeat, m));
    counters_.heartbeats_sent->add();
  }
}

void Membership::send_gossip(size_t fanout) {
  // Distinct random peers not believed dead, at most `fanout` of them.
  std::vector<NodeId> chosen;
  for (size_t tries = 0; chosen.size() < fanout && tries < 2 * fanout + 2; ++tries) {
    if (pending_.empty()) break;
    const auto peer = random_live_peer();
    if (!peer) break;
    const NodeId to = *peer;
    if (std::find(chosen.begin(), chosen.end(), to) != chosen.end()) continue;
    chosen.push_back(to);
    wire::MembershipMessage m;
    m.set_sender_incarnation(incarnation_);
    fill_updates(m);
    rt_.send(to, encode(wire::kGossip, m));
    counters_.gossip_sent->add();
  }
}

void Membership::send_sync(MessageType type, NodeId to) {
  // Only records that differ from the default (alive, incarnation 0) carry information.
  wire::MembershipMessage m;
  m.set_sender_incarnation(incarnation_);
  for (const Record& r : table_.records()) {
    if (r.state == State::kAlive && r.incarnation == 0) continue;
    add_record(m, r);
  }
  rt_.send(to, encode(type, m));
  counters_.sync_sent->add();
}

void Membership::fill_updates(wire::MembershipMessage& out) {
  // Least-sent news first, so that fresh news is never starved by old.
  std::vector<Pending*> order;
  for (auto& [node, p] : pending_) order.push_back(&p);
  std::stable_sort(order.begin(), order.end(),
                   [](const Pending* a, const Pending* b) { return a->transmits < b->transmits; });
  const size_t n = std::min(order.size(), options_.max_updates_per_message);
  for (size_t i = 0; i < n; ++i) {
    add_record(out, order[i]->record);
    ++order[i]->transmits;
  }
  std::erase_if(pending_, [&](const auto& kv) { return kv.second.transmits >= retransmit_limit_; });
}

Message Membership::encode(MessageType type, const wire::MembershipMessage& m) const {
  Message out;
  out.type = type;
  m.SerializeToString(&out.header);
  return out;
}

void Membership::on_message(NodeId from, const Message& message) {
  if (!started_) return;  // still reading our incarnation; the sender will retry
  wire::MembershipMessage m;
  if (!m.ParseFromString(message.header)) {
    counters_.bad_messages->add();
    rt_.log().warn(absl::StrCat("dropping malformed membership message from ", node_name(from)));
    return;
  }
  for (const auto& u : m.updates()) {
    auto state = from_wire(u.state());
    if (!state) {
      counters_.bad_messages->add();
      continue;
    }
    apply(Record{u.node(), *state, u.incarnation()}, "gossip");
  }
  if (message.type == wire::kHeartbeat) on_heartbeat(from, m);
  if (message.type == wire::kSyncRequest) send_sync(wire::kSyncResponse, from);
}

void Membership::on_heartbeat(NodeId from, const wire::MembershipMessage& m) {
  counters_.heartbeats_received->add();
  if (!table_.contains(from)) return;
  // A heartbeat proves the sender alive at its incarnation.
  apply(Record{from, State::kAlive, m.sender_incarnation()}, "heartbeat");
  const Record& r = table_.get(from);
  if (r.state != State::kAlive) {
    // We hold news the sender has not refuted yet: tell it, so it can.
    wire::MembershipMessage reply;
    reply.set_sender_incarnation(incarnation_);
    add_record(reply, r);
    rt_.send(from, encode(wire::kGossip, reply));
    counters_.gossip_sent->add();
  }
  auto it = detectors_.find(from);
  if (it != detectors_.end()) {
    const bool first = unheard_.erase(from) > 0;
    if (first && options_.first_contact_grace > Duration(0)) {
      // The wait for a first heartbeat may have lasted the whole grace: it is not a sample
      // of the peer's rhythm, so the detector starts from this heartbeat.
      it->second = PhiAccrual(options_.detector);
    }
    it->second.heartbeat(rt_.now());
    arm_deadline(from);
  }
}

void Membership::arm_deadline(NodeId node) {
  auto& timer = deadline_timers_[node];
  rt_.cancel(timer);
  Time deadline = detectors_.at(node).deadline();
  if (unheard_.contains(node)) deadline += options_.first_contact_grace;
  CAIRN_ASSERT(deadline >= rt_.now());
  timer = rt_.after(deadline - rt_.now(), [this, node] { on_deadline(node); });
}

void Membership::on_deadline(NodeId node) {
  deadline_timers_.erase(node);
  const Record& r = table_.get(node);
  if (r.state != State::kAlive) return;
  const double phi = detectors_.at(node).phi(rt_.now());
  counters_.suspicions->add();
  apply(Record{node, State::kSuspect, r.incarnation}, "detector", phi);
}

void Membership::apply(const Record& record, const char* via, double phi) {
  if (record.node == rt_.self()) {
    // Only this node speaks for itself: news at or above our incarnation that is not
    // "alive at exactly our incarnation" is refuted; anything older is stale.
    if (record.incarnation > incarnation_ ||
        (record.incarnation == incarnation_ && record.state != State::kAlive)) {
      refute(record.incarnation);
      return;
    }
    if (record.incarnation < incarnation_) return;
  }
  auto previous = table_.merge(record);
  if (!previous) return;
  pending_[record.node] = Pending{record, 0};
  if (previous->state != record.state) on_state_change(record, *previous, via, phi);
}

void Membership::refute(uint64_t heard_incarnation) {
  counters_.refutations->add();
  incarnation_ = heard_incarnation + 1;
  persist_incarnation();
  apply(Record{rt_.self(), State::kAlive, incarnation_}, "refute");
  send_gossip(options_.gossip_fanout);
}

void Membership::on_state_change(const Record& now, const Record& before, const char* via,
                                 double phi) {
  CAIRN_ASSERT(now.node == before.node);
  CAIRN_ASSERT(now.state != before.state);
  Event e{"member_state",
          {{"target", node_name(now.node)},
           {"state", std::string(state_name(now.state))},
           {"was", std::string(state_name(before.state))},
           {"incarnation", static_cast<int64_t>(now.incarnation)},
           {"via", std::string(via)}}};
  if (phi >= 0) e.fields.push_back({"phi", std::round(phi * 1000) / 1000});
  rt_.log().event(std::move(e));
  if (observer_ != nullptr) {
    observer_->on_state(rt_.self(), now.node, now.state, before.state, now.incarnation);
  }
  if (auto it = suspect_timers_.find(now.node); it != suspect_timers_.end()) {
    rt_.cancel(it->second);
    suspect_timers_.erase(it);
  }
  if (now.state == State::kSuspect) {
    const Record suspected = now;
    suspect_timers_[now.node] = rt_.after(options_.suspect_timeout, [this, suspected] {
      suspect_timers_.erase(suspected.node);
      if (table_.get(suspected.node) != suspected) return;
      counters_.deaths->add();
      apply(Record{suspected.node, State::kDead, suspected.incarnation}, "timeout");
    });
  }
  if (now.state == State::kAlive && detectors_.contains(now.node)) {
    // Its silence while dead or suspected is not a sample of its heartbeat rhythm.
    detectors_.insert_or_assign(now.node, PhiAccrual(options_.detector));
    detectors_.at(now.node).heartbeat(rt_.now());
    arm_deadline(now.node);
  }
  // Spread news at once rather than at the next tick: detection time matters.
  if (now.state != State::kAlive || now.node == rt_.self()) send_gossip(options_.gossip_fanout);
  update_gauges();
}

void Membership::persist_incarnation() {
  if (persist_in_flight_) {
    persist_again_ = true;
    return;
  }
  persist_in_flight_ = true;
  auto finish = [this](absl::Status s) {
    if (!s.ok()) rt_.log().error(absl::StrCat("cannot persist incarnation: ", s.ToString()));
    persist_in_flight_ = false;
    if (persist_again_) {
      persist_again_ = false;
      persist_incarnation();
    }
  };
  replace_atomically(rt_.disk(), kIncarnationFile, Payload(absl::StrCat(incarnation_)), finish);
}

void Membership::update_gauges() {
  Metrics& m = rt_.metrics();
  m.gauge("membership_alive").set(static_cast<double>(table_.count(State::kAlive)));
  m.gauge("membership_suspect").set(static_cast<double>(table_.count(State::kSuspect)));
  m.gauge("membership_dead").set(static_cast<double>(table_.count(State::kDead)));
  m.gauge("membership_incarnation").set(static_cast<double>(incarnation_));
}

std::optional<double> Membership::phi(NodeId node) const {
  auto it = detectors_.find(node);
  if (it == detectors_.end()) return std::nullopt;
  return it->second.phi(rt_.now());
}

void Membership::check_invariants() const {
  if (!started_) return;
  const Record& me = table_.get(rt_.self());
  CAIRN_ASSERT(me.state == State::kAlive);
  CAIRN_ASSERT(me.incarnation == incarnation_);
  CAIRN_ASSERT(pending_.size() <= table_.members().size());
  CAIRN_ASSERT(successors_.size() == predecessors_.size());
  CAIRN_ASSERT(table_.count(State::kAlive) + table_.count(State::kSuspect) +
                   table_.count(State::kDead) ==
               table_.members().size());
  for (const auto& [node, timer] : suspect_timers_) {
    CAIRN_ASSERT(table_.get(node).state == State::kSuspect);
  }
  CAIRN_ASSERT(unheard_.size() <= predecessors_.size());
  for (NodeId node : unheard_) CAIRN_ASSERT(detectors_.contains(node));
}

}  // namespace cairn::membership
