// MuxStateMachine: routing by channel, every machine following the log, snapshots.
#include "core/raft/mux_state_machine.h"

#include <gtest/gtest.h>

#include "core/kv/kv.pb.h"
#include "core/kv/kv_state_machine.h"

namespace cairn::raft {
namespace {

std::string put(const std::string& key, const std::string& value) {
  kv::wire::KvCommand c;
  c.set_op(kv::wire::KV_PUT);
  c.set_key(key);
  c.set_value(value);
  return c.SerializeAsString();
}

std::string get(const std::string& key) {
  kv::wire::KvCommand c;
  c.set_op(kv::wire::KV_GET);
  c.set_key(key);
  return c.SerializeAsString();
}

wire::Entry entry(uint64_t index, std::string data, wire::EntryType type = wire::ENTRY_NORMAL) {
  wire::Entry e;
  e.set_term(1);
  e.set_index(index);
  e.set_type(type);
  e.set_data(std::move(data));
  return e;
}

struct Machines {
  Machines() : mux(std::make_unique<kv::KvStateMachine>()) {
    mux.add(1, std::make_unique<kv::KvStateMachine>());
    mux.add(7, std::make_unique<kv::KvStateMachine>());
  }
  std::optional<std::string> value(std::optional<uint8_t> channel, const std::string& key) {
    auto& m =
        static_cast<kv::KvStateMachine&>(channel ? mux.machine(*channel) : mux.default_machine());
    return m.get(key);
  }
  MuxStateMachine mux;
};

TEST(MuxStateMachine, RoutesByChannelAndKeepsDefaultBytes) {
  Machines m;
  ASSERT_TRUE(m.mux.apply(entry(1, put("a", "default"))).ok());
  ASSERT_TRUE(m.mux.apply(entry(2, MuxStateMachine::wrap(1, put("a", "one")))).ok());
  ASSERT_TRUE(m.mux.apply(entry(3, MuxStateMachine::wrap(7, put("b", "seven")))).ok());
  EXPECT_EQ(m.value(std::nullopt, "a"), "default");
  EXPECT_EQ(m.value(1, "a"), "one");
  EXPECT_EQ(m.value(7, "b"), "seven");
  EXPECT_EQ(m.value(7, "a"), std::nullopt);
  auto r = m.mux.query(MuxStateMachine::wrap(1, get("a")));
  ASSERT_TRUE(r.ok());
  kv::wire::KvResult result;
  ASSERT_TRUE(result.ParseFromString(*r));
  EXPECT_EQ(result.value(), "one");
}

TEST(MuxStateMachine, EveryMachineFollowsEveryIndex) {
  Machines m;
  ASSERT_TRUE(m.mux.apply(entry(1, "")).ok());  // the leader's no-op
  ASSERT_TRUE(m.mux.apply(entry(2, MuxStateMachine::wrap(7, put("b", "x")))).ok());
  ASSERT_TRUE(m.mux.apply(entry(3, "conf", wire::ENTRY_CONF_CHANGE)).ok());
  EXPECT_EQ(m.mux.applied_index(), 3u);
  EXPECT_EQ(m.mux.machine(1).applied_index(), 3u);
  EXPECT_EQ(m.mux.machine(7).applied_index(), 3u);
}

TEST(MuxStateMachine, UnknownChannelIsSkippedAlikeAndStillApplied) {
  Machines m;
  auto r = m.mux.apply(entry(1, MuxStateMachine::wrap(9, put("a", "b"))));
  EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();
  EXPECT_EQ(m.mux.machine(1).applied_index(), 1u);
  EXPECT_EQ(m.mux.applied_index(), 1u);
  EXPECT_TRUE(absl::IsInvalidArgument(m.mux.apply(entry(2, std::string(1, '\0'))).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(m.mux.query(MuxStateMachine::wrap(3, get("a"))).status()));
}

TEST(MuxStateMachine, SnapshotRestoresEveryMachine) {
  Machines a;
  ASSERT_TRUE(a.mux.apply(entry(1, put("k", "0"))).ok());
  ASSERT_TRUE(a.mux.apply(entry(2, MuxStateMachine::wrap(1, put("k", "1")))).ok());
  ASSERT_TRUE(a.mux.apply(entry(3, MuxStateMachine::wrap(7, put("k", "7")))).ok());
  Machines b;
  ASSERT_TRUE(b.mux.restore(a.mux.snapshot()).ok());
  EXPECT_EQ(b.mux.applied_index(), 3u);
  EXPECT_EQ(b.value(std::nullopt, "k"), "0");
  EXPECT_EQ(b.value(1, "k"), "1");
  EXPECT_EQ(b.value(7, "k"), "7");
  EXPECT_EQ(b.mux.snapshot(), a.mux.snapshot());

  MuxStateMachine other(std::make_unique<kv::KvStateMachine>());  // no channels
  EXPECT_TRUE(absl::IsDataLoss(other.restore(a.mux.snapshot())));
  EXPECT_TRUE(absl::IsDataLoss(b.mux.restore("not a snapshot at all \xff")));
}

}  // namespace
}  // namespace cairn::raft
