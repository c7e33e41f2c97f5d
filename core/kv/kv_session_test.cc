// KvSession on the manual runtime: three scripted servers (1, 2, 3) and a client (100).
// Each server answers a request as its script says, or stays silent.
#include "core/kv/kv_session.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/runtime/manual_runtime.h"
#include "core/wire/message_types.h"

namespace cairn::kv {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
constexpr NodeId kClient = 100;
constexpr uint64_t kClientId = 77;

struct Seen {
  NodeId server;
  Duration at;
  wire::KvRequest request;
};

wire::KvResponse answer(wire::KvStatus status, NodeId hint = kNoNode) {
  wire::KvResponse r;
  r.set_status(status);
  r.set_leader_hint(hint);
  if (status == wire::KV_OK) r.mutable_result()->set_ok(true);
  if (status != wire::KV_OK) r.set_error("refused");
  return r;
}

class KvSessionTest : public ::testing::Test {
 protected:
  using Script = std::function<std::optional<wire::KvResponse>(int nth)>;

  void SetUp() override {
    for (NodeId s : {1, 2, 3}) {
      cluster_.add_node(s);
      cluster_.set_handler(s, [this, s](NodeId from, const Message& m) {
        wire::KvRequest req;
        ASSERT_TRUE(req.ParseFromString(m.header));
        seen_.push_back({s, cluster_.now().time_since_epoch(), req});
        const int nth = ++count_[s];
        if (!scripts_.count(s)) return;  // silent
        std::optional<wire::KvResponse> r = scripts_[s](nth);
        if (!r) return;
        r->set_request_id(req.request_id());
        cluster_.node(s).send(
            from, Message{.type = cairn::wire::kKvResponse, .header = r->SerializeAsString()});
      });
    }
    cluster_.add_node(kClient);
  }

  KvSession& make(KvSessionOptions options) {
    session_.emplace(cluster_.node(kClient), std::vector<NodeId>{1, 2, 3}, kClientId, options);
    cluster_.set_handler(kClient, [this](NodeId from, const Message& m) {
      wire::KvResponse r;
      ASSERT_TRUE(r.ParseFromString(m.header));
      session_->on_response(from, r);
    });
    return *session_;
  }

  void put(const std::string& key) {
    wire::KvCommand c;
    c.set_op(wire::KV_PUT);
    c.set_key(key);
    c.set_value("v");
    session_->run(c, [this](absl::StatusOr<wire::KvResult> r) {
      results_.push_back(std::move(r));
      done_at_.push_back(cluster_.now().time_since_epoch());
    });
  }

  std::vector<NodeId> targets() const {
    std::vector<NodeId> out;
    for (const Seen& s : seen_) out.push_back(s.server);
    return out;
  }

  ManualCluster cluster_{7};
  std::optional<KvSession> session_;
  std::map<NodeId, Script> scripts_;
  std::map<NodeId, int> count_;
  std::vector<Seen> seen_;
  std::vector<absl::StatusOr<wire::KvResult>> results_;
  std::vector<Duration> done_at_;
};

TEST_F(KvSessionTest, RedirectIsFollowedAtOnceAndRemembered) {
  scripts_[1] = [](int) { return answer(wire::KV_NOT_LEADER, 3); };
  scripts_[3] = [](int) { return answer(wire::KV_OK); };
  KvSession& s = make({.backoff = milliseconds(50)});
  put("a");
  cluster_.advance(milliseconds(10));
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_TRUE(results_[0].ok());
  EXPECT_EQ(targets(), (std::vector<NodeId>{1, 3}));
  // No back-off before following the hint: request, refusal, request, one latency each.
  EXPECT_EQ(seen_[1].at, milliseconds(3));
  EXPECT_EQ(s.leader_guess(), 3u);
  put("b");  // the next operation starts at the leader it learnt
  cluster_.advance(milliseconds(10));
  EXPECT_EQ(targets(), (std::vector<NodeId>{1, 3, 3}));
}

TEST_F(KvSessionTest, UnavailableIsRetriedAtTheSameServerAfterADoublingBackOff) {
  scripts_[1] = [](int nth) { return answer(nth < 3 ? wire::KV_UNAVAILABLE : wire::KV_OK); };
  make({.backoff = milliseconds(50), .backoff_max = milliseconds(80)});
  put("a");
  cluster_.advance(milliseconds(500));
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_TRUE(results_[0].ok());
  EXPECT_EQ(targets(), (std::vector<NodeId>{1, 1, 1}));
  EXPECT_EQ(seen_[1].at, milliseconds(1 + 1 + 50 + 1));
  EXPECT_EQ(seen_[2].at, milliseconds(53 + 1 + 80 + 1));  // 100 capped at 80
}

TEST_F(KvSessionTest, NoLeaderKnownMovesOnAfterABackOff) {
  scripts_[1] = [](int) { return answer(wire::KV_NOT_LEADER, kNoNode); };
  scripts_[2] = [](int) { return answer(wire::KV_OK); };
  make({.backoff = milliseconds(50)});
  put("a");
  cluster_.advance(milliseconds(100));
  EXPECT_EQ(targets(), (std::vector<NodeId>{1, 2}));
  EXPECT_EQ(seen_[1].at, milliseconds(53));
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_TRUE(results_[0].ok());
}

TEST_F(KvSessionTest, SilenceMovesToTheNextServerAfterTheAttemptTimeout) {
  scripts_[2] = [](int) { return answer(wire::KV_OK); };
  make({.attempt_timeout = milliseconds(500)});
  put("a");
  cluster_.advance(milliseconds(499));
  EXPECT_EQ(targets(), (std::vector<NodeId>{1}));
  EXPECT_TRUE(results_.empty());
  cluster_.advance(milliseconds(10));
  EXPECT_EQ(targets(), (std::vector<NodeId>{1, 2}));
  EXPECT_EQ(seen_[1].at, milliseconds(501));
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_TRUE(results_[0].ok());
  EXPECT_EQ(done_at_[0], milliseconds(502));
}

TEST_F(KvSessionTest, EachTimedOutAttemptWaitsTwiceAsLongUpToTheCap) {
  // Every server is silent: the waits grow 100, 200, 400, 400 ms, so a slow group is not
  // sent the same operation ever faster while its first copy still waits in a queue.
  make({.attempt_timeout = milliseconds(100),
        .attempt_timeout_max = milliseconds(400),
        .max_attempts = 5});
  put("a");
  cluster_.advance(seconds(3));
  ASSERT_EQ(seen_.size(), 5u);
  std::vector<int64_t> sent_at_ms;
  for (const Seen& s : seen_) {
    sent_at_ms.push_back(std::chrono::duration_cast<milliseconds>(s.at).count());
  }
  EXPECT_EQ(sent_at_ms, (std::vector<int64_t>{1, 101, 301, 701, 1101}));
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_NE(results_[0].status().message().find("no answer within 400 ms"), std::string::npos)
      << results_[0].status();
  // The next operation starts again from the first wait.
  scripts_[2] = [](int) { return answer(wire::KV_OK); };
  seen_.clear();
  put("b");
  cluster_.advance(seconds(1));
  ASSERT_EQ(results_.size(), 2u);
  EXPECT_TRUE(results_[1].ok());
  ASSERT_GE(seen_.size(), 2u);
  EXPECT_EQ(seen_[1].at - seen_[0].at, milliseconds(100));
}

TEST_F(KvSessionTest, GivesUpAfterMaxAttemptsWithUnavailable) {
  make({.attempt_timeout = milliseconds(100), .max_attempts = 4, .server_name = [](NodeId n) {
          return absl::StrCat("n", n);
        }});
  put("a");
  cluster_.advance(milliseconds(399));
  EXPECT_TRUE(results_.empty());
  cluster_.advance(milliseconds(1000));
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(done_at_[0], milliseconds(400));
  EXPECT_EQ(results_[0].status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(results_[0].status().message().find("after 4 attempts"), std::string::npos)
      << results_[0].status();
  EXPECT_NE(results_[0].status().message().find("last: n1: no answer within 100 ms"),
            std::string::npos)
      << results_[0].status();
  EXPECT_EQ(targets(), (std::vector<NodeId>{1, 2, 3, 1}));
}

TEST_F(KvSessionTest, GivesUpAtTheDeadline) {
  make({.attempt_timeout = milliseconds(100), .deadline = milliseconds(250)});
  put("a");
  cluster_.advance(milliseconds(1000));
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(done_at_[0], milliseconds(250));
  EXPECT_EQ(results_[0].status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(results_[0].status().message().find("no answer from a leader within 250 ms"),
            std::string::npos)
      << results_[0].status();
  EXPECT_EQ(seen_.size(), 3u);  // at 0, 100 and 200 ms; none after the deadline
}

// Only a get asked for as a local read carries the flag, on every attempt; nothing else does.
TEST_F(KvSessionTest, LocalReadIsMarkedOnlyWhenAskedFor) {
  scripts_[2] = [](int) { return answer(wire::KV_OK); };
  KvSession& s = make({.attempt_timeout = milliseconds(100)});
  s.set_leader_guess(1);  // silent: the read moves on to 2
  wire::KvCommand get;
  get.set_op(wire::KV_GET);
  get.set_key("a");
  s.run(
      get, [this](absl::StatusOr<wire::KvResult> r) { results_.push_back(std::move(r)); },
      /*local_read=*/true);
  cluster_.advance(milliseconds(500));
  put("b");
  cluster_.advance(milliseconds(500));
  ASSERT_EQ(results_.size(), 2u);
  ASSERT_EQ(targets(), (std::vector<NodeId>{1, 2, 2}));
  EXPECT_TRUE(seen_[0].request.local_read());
  EXPECT_TRUE(seen_[1].request.local_read());
  EXPECT_FALSE(seen_[2].request.local_read());
}

TEST_F(KvSessionTest, RetriesOfAWriteReuseItsSequence) {
  scripts_[3] = [](int) { return answer(wire::KV_OK); };
  make({.attempt_timeout = milliseconds(100)});
  put("a");
  cluster_.advance(milliseconds(500));
  put("b");
  cluster_.advance(milliseconds(500));
  ASSERT_EQ(results_.size(), 2u);
  ASSERT_EQ(seen_.size(), 4u);  // 1, 2, 3 for the first; 3 for the second
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(seen_[i].request.command().client_id(), kClientId);
    EXPECT_EQ(seen_[i].request.command().sequence(), 1u);
    EXPECT_EQ(seen_[i].request.command().key(), "a");
  }
  EXPECT_NE(seen_[0].request.request_id(), seen_[1].request.request_id());
  EXPECT_EQ(seen_[3].request.command().sequence(), 2u);
  EXPECT_EQ(seen_[3].request.command().key(), "b");
}

TEST_F(KvSessionTest, AStaleRefusalDoesNotDisturbTheCurrentAttempt) {
  // Server 1's refusal arrives at 120 ms, after the session moved on to server 2 at 100.
  scripts_[2] = [](int) { return answer(wire::KV_OK); };
  scripts_[1] = [](int) { return answer(wire::KV_UNAVAILABLE); };
  cluster_.latency = milliseconds(60);
  make({.attempt_timeout = milliseconds(100), .backoff = milliseconds(1000)});
  put("a");
  cluster_.advance(milliseconds(1000));
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_TRUE(results_[0].ok());
  EXPECT_EQ(done_at_[0], milliseconds(100 + 60 + 60));  // no back-off was taken
}

TEST_F(KvSessionTest, InvalidIsNotRetried) {
  scripts_[1] = [](int) { return answer(wire::KV_INVALID); };
  make({});
  put("a");
  cluster_.advance(milliseconds(1000));
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_[0].status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(seen_.size(), 1u);
}

TEST_F(KvSessionTest, AnUnreachableTargetIsLeftAfterABackOff) {
  scripts_[2] = [](int) { return answer(wire::KV_OK); };
  KvSession& s = make({.attempt_timeout = milliseconds(500), .backoff = milliseconds(10)});
  put("a");
  s.on_unreachable(3);  // not the target: ignored
  s.on_unreachable(1);
  cluster_.advance(milliseconds(100));
  EXPECT_EQ(targets(), (std::vector<NodeId>{1, 2}));
  EXPECT_EQ(seen_[1].at, milliseconds(11));
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_TRUE(results_[0].ok());
}

}  // namespace
}  // namespace cairn::kv
