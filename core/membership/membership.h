// Failure detection: heartbeats, phi-accrual suspicion and SWIM-style dissemination.
//
// Each node sends a heartbeat every period to its `monitors` successors on the ring of
// node ids, and watches its predecessors with a phi-accrual detector. A watcher whose
// detector crosses the threshold marks the peer suspect; a suspicion not refuted within
// suspect_timeout becomes dead. News (records of MemberTable) spreads by piggybacking on
// heartbeats and by a few gossip messages per period, each retransmitted O(log n) times,
// so messages per period stay O(n) — never all-to-all. A node told it is suspected or dead
// refutes by raising its incarnation, which it keeps on disk so that a restart outranks
// every older record about it. Nodes that restart pull the others' news (sync).
//
// Promises: a crashed node is declared dead by its watchers about deadline + suspect_timeout
// after its last heartbeat, and by everyone else a few gossip rounds later; a live node
// that is reachable ends up alive in every view. A node that has just started does not
// suspect a watched peer it has not heard from yet before the usual first deadline plus
// first_contact_grace (time for that peer's transport to notice the restart). Every change of a
// view is reported as a "member_state" event, counted in metrics and, if there is one,
// handed to the MembershipObserver (core/membership/observer.h).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "core/membership/member_table.h"
#include "core/membership/observer.h"
#include "core/membership/options.h"
#include "core/membership/phi_accrual.h"
#include "core/runtime/service.h"

namespace cairn::wire {
class MembershipMessage;
}

namespace cairn::membership {

class Membership final : public Service {
 public:
  // REQUIRES: options.validate().ok(); `members` holds rt.self(). `observer` (not owned,
  // may be null) outlives the service.
  Membership(Runtime& rt, MembershipOptions options, std::vector<NodeId> members,
             MembershipObserver* observer = nullptr);
  ~Membership() override;

  // The message types it serves (message_types() of every instance).
  static std::vector<MessageType> types();

  std::vector<MessageType> message_types() const override;
  void start() override;
  void on_message(NodeId from, const Message& message) override;
  void check_invariants() const override;

  const MemberTable& table() const { return table_; }
  uint64_t incarnation() const { return incarnation_; }
  // Nodes this one sends heartbeats to, and nodes it watches.
  const std::vector<NodeId>& successors() const { return successors_; }
  const std::vector<NodeId>& predecessors() const { return predecessors_; }
  // The watcher's current phi for a watched node (nullopt if not watched).
  std::optional<double> phi(NodeId node) const;

  static constexpr const char* kIncarnationFile = "membership/incarnation";

 private:
  struct Pending {
    Record record;
    size_t transmits = 0;
  };

  void begin(uint64_t incarnation);
  void tick();
  void anti_entropy();
  std::optional<NodeId> random_live_peer();
  void send_heartbeats();
  void send_gossip(size_t fanout);
  void send_sync(MessageType type, NodeId to);
  void fill_updates(wire::MembershipMessage& out);
  void on_heartbeat(NodeId from, const wire::MembershipMessage& m);
  void on_deadline(NodeId node);
  void apply(const Record& record, const char* via, double phi = -1);
  void refute(uint64_t heard_incarnation);
  void arm_deadline(NodeId node);
  void on_state_change(const Record& now, const Record& before, const char* via, double phi);
  void persist_incarnation();
  void update_gauges();
  Message encode(MessageType type, const wire::MembershipMessage& m) const;

  Runtime& rt_;
  MembershipOptions options_;
  MembershipObserver* observer_;  // null in production
  MemberTable table_;
  std::vector<NodeId> successors_;
  std::vector<NodeId> predecessors_;
  std::map<NodeId, PhiAccrual> detectors_;  // one per predecessor
  // Predecessors not heard from since this node started: their deadlines carry
  // options_.first_contact_grace.
  std::set<NodeId> unheard_;
  std::map<NodeId, TimerId> deadline_timers_;
  std::map<NodeId, TimerId> suspect_timers_;
  std::map<NodeId, Pending> pending_;  // news to spread, one record per node
  size_t retransmit_limit_;
  uint64_t incarnation_ = 0;
  uint64_t sequence_ = 0;
  bool started_ = false;
  bool persist_in_flight_ = false;
  bool persist_again_ = false;
  TimerId tick_timer_ = kNoTimer;
  TimerId sync_timer_ = kNoTimer;

  struct Counters {
    Counter* heartbeats_sent;
    Counter* heartbeats_received;
    Counter* gossip_sent;
    Counter* sync_sent;
    Counter* suspicions;
    Counter* deaths;
    Counter* refutations;
    Counter* bad_messages;
  } counters_;
};

}  // namespace cairn::membership
