#include "core/kv/kv_state_machine.h"

#include <gtest/gtest.h>

namespace cairn::kv {
namespace {

class KvTest : public ::testing::Test {
 protected:
  wire::KvResult run(wire::KvOp op, const std::string& key, const std::string& value = "",
                     const std::string& expected = "", uint64_t client = 0, uint64_t seq = 0) {
    wire::KvCommand c;
    c.set_op(op);
    c.set_key(key);
    c.set_value(value);
    c.set_expected(expected);
    c.set_client_id(client);
    c.set_sequence(seq);
    raft::wire::Entry e;
    e.set_index(kv_.applied_index() + 1);
    e.set_term(1);
    e.set_data(c.SerializeAsString());
    auto r = kv_.apply(e);
    EXPECT_TRUE(r.ok());
    wire::KvResult result;
    EXPECT_TRUE(result.ParseFromString(*r));
    return result;
  }
  KvStateMachine kv_{2};
};

TEST_F(KvTest, PutGetCasDelete) {
  EXPECT_FALSE(run(wire::KV_GET, "a").ok());
  EXPECT_TRUE(run(wire::KV_PUT, "a", "1").ok());
  EXPECT_EQ(run(wire::KV_GET, "a").value(), "1");
  EXPECT_FALSE(run(wire::KV_CAS, "a", "2", "0").ok());
  EXPECT_TRUE(run(wire::KV_CAS, "a", "2", "1").ok());
  EXPECT_EQ(kv_.get("a"), "2");
  EXPECT_TRUE(run(wire::KV_DELETE, "a").ok());
  EXPECT_FALSE(run(wire::KV_DELETE, "a").ok());
  EXPECT_FALSE(kv_.get("a").has_value());
}

TEST_F(KvTest, SessionsApplyARetriedCommandOnce) {
  EXPECT_TRUE(run(wire::KV_PUT, "a", "1", "", 7, 1).ok());
  EXPECT_TRUE(run(wire::KV_CAS, "a", "2", "1", 7, 2).ok());
  EXPECT_TRUE(run(wire::KV_PUT, "a", "3", "", 8, 1).ok());
  // Client 7 retries sequence 2: the recorded answer, and "a" stays "3".
  EXPECT_TRUE(run(wire::KV_CAS, "a", "2", "1", 7, 2).ok());
  EXPECT_EQ(kv_.get("a"), "3");
}

TEST_F(KvTest, SessionsAreBoundedAndExpireTheLeastRecentlyActive) {
  run(wire::KV_PUT, "a", "1", "", 1, 1);
  run(wire::KV_PUT, "a", "2", "", 2, 1);
  run(wire::KV_PUT, "a", "3", "", 3, 1);  // expires client 1
  EXPECT_EQ(kv_.session_count(), 2u);
  run(wire::KV_PUT, "a", "4", "", 1, 1);  // client 1 is unknown again: applies
  EXPECT_EQ(kv_.get("a"), "4");
}

TEST_F(KvTest, SnapshotRoundTrip) {
  run(wire::KV_PUT, "a", "1", "", 1, 1);
  run(wire::KV_PUT, "b", "2");
  KvStateMachine copy;
  ASSERT_TRUE(copy.restore(kv_.snapshot()).ok());
  EXPECT_EQ(copy.get("a"), "1");
  EXPECT_EQ(copy.get("b"), "2");
  EXPECT_EQ(copy.applied_index(), kv_.applied_index());
  EXPECT_EQ(copy.session_count(), 1u);
  EXPECT_TRUE(absl::IsDataLoss(copy.restore("\xff\xff garbage")));
}

TEST_F(KvTest, NoOpsAndConfigurationChangesCarryNoCommand) {
  raft::wire::Entry e;
  e.set_index(1);
  e.set_term(1);
  auto r = kv_.apply(e);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(kv_.applied_index(), 1u);
}

TEST_F(KvTest, AnEntryThatIsNoCommandIsAnErrorButStillApplied) {
  raft::wire::Entry e;
  e.set_index(1);
  e.set_term(1);
  e.set_data("\xff\xff not a command");
  EXPECT_TRUE(absl::IsInvalidArgument(kv_.apply(e).status()));
  EXPECT_EQ(kv_.applied_index(), 1u);
}

TEST_F(KvTest, QueriesAreGetsAndReadTheCurrentState) {
  run(wire::KV_PUT, "a", "1");
  wire::KvCommand get;
  get.set_op(wire::KV_GET);
  get.set_key("a");
  auto r = kv_.query(get.SerializeAsString());
  ASSERT_TRUE(r.ok());
  wire::KvResult result;
  ASSERT_TRUE(result.ParseFromString(*r));
  EXPECT_TRUE(result.found());
  EXPECT_EQ(result.value(), "1");
  get.set_op(wire::KV_PUT);
  EXPECT_TRUE(absl::IsInvalidArgument(kv_.query(get.SerializeAsString()).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(kv_.query("\xff\xff").status()));
}

}  // namespace
}  // namespace cairn::kv
