#include "core/membership/membership.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "core/runtime/manual_runtime.h"
#include "core/wire/message_types.h"

namespace cairn::membership {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A cluster of Membership services on the manual runtime.
class Harness {
 public:
  Harness(size_t n, uint64_t seed, MembershipOptions options = {},
          MembershipObserver* observer = nullptr)
      : cluster_(seed), options_(options), observer_(observer) {
    for (NodeId id = 1; id <= n; ++id) {
      members_.push_back(id);
      cluster_.add_node(id);
    }
    for (NodeId id : members_) start(id);
  }

  void start(NodeId id) {
    auto node = std::make_unique<Node>(cluster_.node(id));
    EXPECT_TRUE(
        node->add(std::make_unique<Membership>(cluster_.node(id), options_, members_, observer_))
            .ok());
    Node* raw = node.get();
    cluster_.set_handler(id, [raw](NodeId from, const Message& m) {
      raw->deliver(from, m);
      raw->check_invariants();
    });
    nodes_[id] = std::move(node);
    raw->start();
  }
  void crash(NodeId id) {
    cluster_.crash(id);
    nodes_.erase(id);
  }
  void restart(NodeId id) {
    cluster_.restart(id);
    start(id);
  }
  Membership& m(NodeId id) { return *nodes_.at(id)->find<Membership>(); }
  State view(NodeId observer, NodeId target) { return m(observer).table().get(target).state; }
  // Every live node other than `target` sees it in `state`.
  bool all_see(NodeId target, State state) {
    for (auto& [id, node] : nodes_) {
      if (id != target && view(id, target) != state) return false;
    }
    return true;
  }
  // Advances in small steps until `pred` holds; returns the time it took, or nullopt.
  template <typename Pred>
  std::optional<Duration> until(Pred pred, Duration limit) {
    const Time start = cluster_.now();
    while (cluster_.now() - start <= limit) {
      if (pred()) return cluster_.now() - start;
      cluster_.advance(milliseconds(10));
    }
    return std::nullopt;
  }
  int64_t total(const std::string& counter) {
    int64_t sum = 0;
    for (NodeId id : members_) sum += cluster_.node(id).metrics().counter(counter).value();
    return sum;
  }
  ManualCluster& cluster() { return cluster_; }

 private:
  ManualCluster cluster_;
  MembershipOptions options_;
  MembershipObserver* observer_;
  std::vector<NodeId> members_;
  std::map<NodeId, std::unique_ptr<Node>> nodes_;
};

TEST(Membership, NoSuspicionsWithoutFaults) {
  Harness h(5, 1);
  h.cluster().advance(seconds(60));
  for (NodeId a = 1; a <= 5; ++a) {
    for (NodeId b = 1; b <= 5; ++b) EXPECT_EQ(h.view(a, b), State::kAlive) << a << "->" << b;
  }
  EXPECT_EQ(h.total("membership_suspicions_raised"), 0);
}

TEST(Membership, CrashedNodeIsDeclaredDeadEverywhereWithinBound) {
  Harness h(5, 2);
  h.cluster().advance(seconds(10));
  h.crash(3);
  // Not before the detector could possibly fire (one period plus a margin).
  h.cluster().advance(milliseconds(900));
  EXPECT_TRUE(h.all_see(3, State::kAlive));
  auto took = h.until([&] { return h.all_see(3, State::kDead); }, seconds(6));
  ASSERT_TRUE(took.has_value());
  // deadline (~1.56 s after the last beat) + suspect_timeout (2 s) + gossip.
  EXPECT_LE(*took + milliseconds(900), seconds(5));
}

TEST(Membership, RestartedNodeIsAliveAgainEverywhere) {
  Harness h(5, 3);
  h.cluster().advance(seconds(5));
  h.crash(2);
  ASSERT_TRUE(h.until([&] { return h.all_see(2, State::kDead); }, seconds(10)));
  h.restart(2);
  ASSERT_TRUE(h.until([&] { return h.all_see(2, State::kAlive); }, seconds(5)));
  EXPECT_EQ(h.m(2).incarnation(), 1u);  // 0 on first start, read back from disk and raised
  // The restarted node learns nothing false about the others.
  h.cluster().advance(seconds(5));
  for (NodeId b = 1; b <= 5; ++b) EXPECT_EQ(h.view(2, b), State::kAlive);
}

TEST(Membership, PartitionIsDetectedAndHealed) {
  Harness h(5, 4);
  h.cluster().advance(seconds(5));
  auto side = [](NodeId n) { return n <= 2 ? 0 : 1; };
  h.cluster().filter = [&](NodeId from, NodeId to, const Message&) {
    return side(from) == side(to);
  };
  h.cluster().advance(seconds(15));
  for (NodeId a = 1; a <= 5; ++a) {
    for (NodeId b = 1; b <= 5; ++b) {
      EXPECT_EQ(h.view(a, b), side(a) == side(b) ? State::kAlive : State::kDead)
          << "n" << a << " sees n" << b;
    }
  }
  h.cluster().filter = nullptr;
  auto healed = h.until(
      [&] {
        for (NodeId b = 1; b <= 5; ++b) {
          if (!h.all_see(b, State::kAlive)) return false;
        }
        return true;
      },
      seconds(30));
  EXPECT_TRUE(healed.has_value());
  EXPECT_GT(h.total("membership_refutations"), 0);
}

TEST(Membership, MessagesPerPeriodAreLinearInClusterSize) {
  MembershipOptions opts;
  opts.anti_entropy_interval = Duration(0);
  Harness h(40, 5, opts);
  h.cluster().advance(seconds(20));
  const int64_t heartbeats = h.total("membership_heartbeats_sent");
  // 40 nodes x 3 monitors x ~20 periods; all-to-all would be 40 x 39 x 20.
  EXPECT_GE(heartbeats, 40 * 3 * 19);
  EXPECT_LE(heartbeats, 40 * 3 * 21);
  EXPECT_LT(h.cluster().messages_delivered, 40u * 6 * 20);
}

TEST(Membership, MalformedMessagesAreCountedAndDropped) {
  Harness h(3, 6);
  h.cluster().advance(seconds(2));
  h.cluster().node(1).send(2, Message{.type = wire::kHeartbeat, .header = "\xff\xff garbage"});
  h.cluster().advance(seconds(2));
  EXPECT_EQ(h.cluster().node(2).metrics().counter("membership_bad_messages").value(), 1);
  EXPECT_EQ(h.view(2, 1), State::kAlive);
}

TEST(Membership, ViewChangesAreReportedAsEvents) {
  Harness h(3, 7);
  h.cluster().advance(seconds(3));
  h.crash(3);
  ASSERT_TRUE(h.until([&] { return h.all_see(3, State::kDead); }, seconds(10)));
  bool saw_suspect = false, saw_dead = false;
  for (const Event& e : h.cluster().node(1).events()) {
    if (e.kind != "member_state") continue;
    const auto& target = std::get<std::string>(e.find("target")->value);
    const auto& state = std::get<std::string>(e.find("state")->value);
    EXPECT_EQ(target, "n3");
    saw_suspect |= state == "suspect";
    saw_dead |= state == "dead";
  }
  EXPECT_TRUE(saw_dead);
  (void)saw_suspect;  // n1 may have learned of the death before the suspicion
}

// One view change, as an observer is told it or as a member_state event reports it.
struct Change {
  NodeId observer = kNoNode;
  NodeId target = kNoNode;
  std::string state;
  std::string was;
  int64_t incarnation = -1;
  bool operator==(const Change&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Change& c) {
  return os << "n" << c.observer << " sees n" << c.target << " " << c.was << "->" << c.state << " @"
            << c.incarnation;
}

Change from_event(NodeId observer, const Event& e) {
  Change c{.observer = observer};
  uint32_t target = 0;
  EXPECT_TRUE(absl::SimpleAtoi(std::get<std::string>(e.find("target")->value).substr(1), &target));
  c.target = target;
  c.state = std::get<std::string>(e.find("state")->value);
  c.was = std::get<std::string>(e.find("was")->value);
  c.incarnation = std::get<int64_t>(e.find("incarnation")->value);
  return c;
}

// Records every call, and the member_state event its node had logged last at that moment.
class RecordingObserver final : public MembershipObserver {
 public:
  void on_state(NodeId observer, NodeId target, State state, State was,
                uint64_t incarnation) override {
    calls.push_back(Change{observer, target, std::string(state_name(state)),
                           std::string(state_name(was)), static_cast<int64_t>(incarnation)});
    const std::vector<Event>& events = cluster->node(observer).events();
    EXPECT_FALSE(events.empty());
    if (!events.empty() && events.back().kind == "member_state") {
      last_event.push_back(from_event(observer, events.back()));
    } else {
      last_event.push_back(Change{});
    }
  }

  ManualCluster* cluster = nullptr;
  std::vector<Change> calls;
  std::vector<Change> last_event;
};

TEST(Membership, TheObserverSeesEveryViewChangeTheEventsReport) {
  RecordingObserver observer;
  Harness h(5, 10, {}, &observer);
  observer.cluster = &h.cluster();
  h.cluster().advance(seconds(3));
  h.crash(3);
  ASSERT_TRUE(h.until([&] { return h.all_see(3, State::kDead); }, seconds(10)));
  h.restart(3);
  ASSERT_TRUE(h.until([&] { return h.all_see(3, State::kAlive); }, seconds(10)));
  h.cluster().advance(seconds(3));

  // Each call comes right after its event, with the same facts.
  ASSERT_EQ(observer.calls.size(), observer.last_event.size());
  for (size_t i = 0; i < observer.calls.size(); ++i) {
    EXPECT_EQ(observer.calls[i], observer.last_event[i]) << "call " << i;
  }
  // And no event goes unobserved: per node, the two sequences are the same.
  std::map<NodeId, std::vector<Change>> called, logged;
  for (const Change& c : observer.calls) called[c.observer].push_back(c);
  for (NodeId id = 1; id <= 5; ++id) {
    for (const Event& e : h.cluster().node(id).events()) {
      if (e.kind == "member_state") logged[id].push_back(from_event(id, e));
    }
  }
  EXPECT_EQ(called, logged);
  // The run had something to observe: every survivor saw n3 die and come back.
  for (NodeId id : {1, 2, 4, 5}) {
    const std::vector<Change>& seen = called[id];
    auto saw = [&](const char* state, const char* was) {
      return std::any_of(seen.begin(), seen.end(), [&](const Change& c) {
        return c.target == 3 && c.state == state && c.was == was;
      });
    };
    EXPECT_TRUE(saw("dead", "suspect") || saw("dead", "alive")) << "n" << id;
    EXPECT_TRUE(saw("alive", "dead")) << "n" << id;
  }
}

// Issue 15: while n3 was down, n2's link to it backed off; after n3 restarts, n2's
// heartbeats stay blocked for a while (here 2 s). n3 has never heard from n2 in this life,
// so it gives n2 first_contact_grace before its detector may suspect it.
MembershipOptions restart_options(Duration grace) {
  MembershipOptions o;
  o.heartbeat_interval = milliseconds(200);
  o.detector.first_interval = o.heartbeat_interval;
  o.suspect_timeout = seconds(1);
  o.first_contact_grace = grace;
  return o;
}

// Restarts n3 of a 5-node cluster with n2 -> n3 blocked for `blocked`; returns how long
// after the restart n3 first saw n2 suspect, or nullopt if not within `watch`.
std::optional<Duration> suspicion_after_restart(Harness& h, Duration blocked, Duration watch) {
  h.cluster().advance(seconds(3));
  h.crash(3);
  EXPECT_TRUE(h.until([&] { return h.all_see(3, State::kDead); }, seconds(10)));
  const Time restarted = h.cluster().now();
  h.cluster().filter = [&h, restarted, blocked](NodeId from, NodeId to, const Message&) {
    return !(from == 2 && to == 3 && h.cluster().now() < restarted + blocked);
  };
  h.restart(3);
  auto took = h.until([&] { return h.view(3, 2) == State::kSuspect; }, watch);
  h.cluster().filter = nullptr;
  return took;
}

TEST(Membership, RestartedNodeGivesUnheardPeersTheFirstContactGrace) {
  Harness h(5, 8, restart_options(milliseconds(2500)));
  EXPECT_FALSE(suspicion_after_restart(h, seconds(2), seconds(5)).has_value());
  EXPECT_TRUE(h.all_see(2, State::kAlive));
  EXPECT_EQ(h.view(3, 2), State::kAlive);
}

TEST(Membership, WithoutTheGraceARestartedNodeSuspectsABlockedPeer) {
  // The same run with no grace: the detector fires one deadline (~0.76 s) after the start.
  Harness h(5, 8, restart_options(Duration(0)));
  auto took = suspicion_after_restart(h, seconds(2), seconds(5));
  ASSERT_TRUE(took.has_value());
  EXPECT_LT(*took, seconds(1));
}

TEST(Membership, APeerThatNeverShowsUpIsSuspectedAfterTheGrace) {
  Harness h(5, 9, restart_options(milliseconds(2500)));
  auto took = suspicion_after_restart(h, seconds(60), seconds(10));
  ASSERT_TRUE(took.has_value());
  // deadline (0.2 s + 5.6 x 0.1 s) + grace 2.5 s, checked in 10 ms steps.
  EXPECT_GE(*took, milliseconds(3250));
  EXPECT_LE(*took, milliseconds(3300));
}

}  // namespace
}  // namespace cairn::membership
