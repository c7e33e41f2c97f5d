#include "core/raft/raft_service.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "core/raft/testing/service_cluster.h"

namespace cairn::raft::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

RaftServiceConfig small_config(std::vector<cairn::NodeId> voters) {
  RaftServiceConfig c;
  c.voters = std::move(voters);
  c.tick = milliseconds(10);
  c.raft.election_ticks = 10;
  c.snapshot_every = 0;
  return c;
}

class ThreeNodes : public ::testing::Test {
 protected:
  explicit ThreeNodes(RaftServiceConfig c = small_config({1, 2, 3})) : c_(7, c) {
    for (cairn::NodeId id : {1, 2, 3}) c_.add(id);
  }
  // Puts through the leader until acknowledged (following redirects); returns success.
  bool put(const std::string& key, const std::string& value, uint64_t client, uint64_t seq) {
    for (int attempt = 0; attempt < 20; ++attempt) {
      cairn::NodeId to = c_.await_leader();
      if (to == 0) continue;
      auto r = c_.call(to, kv_command(kv::wire::KV_PUT, key, value, client, seq));
      if (r && r->status() == kv::wire::KV_OK) return true;
    }
    return false;
  }
  std::optional<std::string> get(const std::string& key) {
    for (int attempt = 0; attempt < 20; ++attempt) {
      auto r = c_.call(c_.await_leader(), kv_command(kv::wire::KV_GET, key));
      if (r && r->status() == kv::wire::KV_OK) {
        return r->result().found() ? std::optional<std::string>(r->result().value()) : "<none>";
      }
      c_.run(milliseconds(50));
    }
    return std::nullopt;
  }
  void expect_safe() {
    EXPECT_TRUE(c_.safety.checker().ok())
        << (c_.safety.checker().ok() ? "" : c_.safety.checker().violations().front());
  }

  ServiceCluster c_;
};

TEST_F(ThreeNodes, ElectsOneLeaderAndServesPutGetCasDelete) {
  const cairn::NodeId leader = c_.await_leader();
  ASSERT_NE(leader, 0u);
  auto put = c_.call(leader, kv_command(kv::wire::KV_PUT, "k", "v1", 1, 1));
  ASSERT_TRUE(put.has_value());
  EXPECT_EQ(put->status(), kv::wire::KV_OK);
  auto got = c_.call(leader, kv_command(kv::wire::KV_GET, "k"));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status(), kv::wire::KV_OK);
  EXPECT_EQ(got->result().value(), "v1");
  auto cas_bad = c_.call(leader, kv_command(kv::wire::KV_CAS, "k", "v3", 1, 2, "nope"));
  ASSERT_TRUE(cas_bad.has_value());
  EXPECT_FALSE(cas_bad->result().ok());
  EXPECT_EQ(cas_bad->result().value(), "v1");
  auto cas = c_.call(leader, kv_command(kv::wire::KV_CAS, "k", "v2", 1, 3, "v1"));
  ASSERT_TRUE(cas.has_value());
  EXPECT_TRUE(cas->result().ok());
  auto del = c_.call(leader, kv_command(kv::wire::KV_DELETE, "k", "", 1, 4));
  ASSERT_TRUE(del.has_value());
  EXPECT_TRUE(del->result().ok());
  EXPECT_EQ(get("k"), "<none>");
  int leaders = 0;
  for (cairn::NodeId id : {1, 2, 3}) leaders += c_.service(id)->is_leader() ? 1 : 0;
  EXPECT_EQ(leaders, 1);
  expect_safe();
}

TEST_F(ThreeNodes, FollowersRedirectToTheLeader) {
  const cairn::NodeId leader = c_.await_leader();
  ASSERT_NE(leader, 0u);
  c_.run(milliseconds(100));  // followers hear from the leader
  const cairn::NodeId follower = leader == 1 ? 2 : 1;
  auto r = c_.call(follower, kv_command(kv::wire::KV_PUT, "k", "v", 1, 1));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status(), kv::wire::KV_NOT_LEADER);
  EXPECT_EQ(r->leader_hint(), leader);
  auto status = c_.admin(follower, wire::ADMIN_STATUS, 0);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->leader(), leader);
  EXPECT_EQ(status->voters_size(), 3);
}

TEST_F(ThreeNodes, RetriedWriteIsAppliedOnce) {
  ASSERT_TRUE(put("k", "a", 5, 1));
  const cairn::NodeId leader = c_.await_leader();
  auto first = c_.call(leader, kv_command(kv::wire::KV_CAS, "k", "b", 5, 2, "a"));
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->result().ok());
  // The same (client, sequence) again, as after a lost reply: answered as the first time
  // (ok), though running it again would fail (the value is "b" now).
  auto retry = c_.call(leader, kv_command(kv::wire::KV_CAS, "k", "b", 5, 2, "a"));
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->status(), kv::wire::KV_OK);
  EXPECT_TRUE(retry->result().ok());
  auto fresh = c_.call(leader, kv_command(kv::wire::KV_CAS, "k", "c", 5, 3, "a"));
  ASSERT_TRUE(fresh.has_value());
  EXPECT_FALSE(fresh->result().ok());
  EXPECT_EQ(get("k"), "b");
}

TEST_F(ThreeNodes, AcknowledgedWritesSurviveAWholeClusterCrash) {
  for (int i = 1; i <= 20; ++i) ASSERT_TRUE(put(absl::StrCat("k", i % 4), absl::StrCat(i), 1, i));
  // Everyone dies at once: whatever was not synced is gone.
  for (cairn::NodeId id : {1, 2, 3}) c_.crash(id);
  c_.run(milliseconds(500));
  for (cairn::NodeId id : {1, 2, 3}) c_.restart(id);
  for (int k = 0; k < 4; ++k) {
    const int last = k == 0 ? 20 : 16 + k;
    EXPECT_EQ(get(absl::StrCat("k", k)), absl::StrCat(last)) << "k" << k;
  }
  expect_safe();
}

TEST_F(ThreeNodes, LeaderCrashElectsAnotherAndTheOldOneCatchesUp) {
  ASSERT_TRUE(put("k", "before", 1, 1));
  const cairn::NodeId old = c_.await_leader();
  c_.crash(old);
  c_.run(milliseconds(50));
  const cairn::NodeId next = c_.await_leader();
  ASSERT_NE(next, 0u);
  EXPECT_NE(next, old);
  ASSERT_TRUE(put("k", "after", 1, 2));
  c_.restart(old);
  c_.run(seconds(1));
  RaftService* s = c_.service(old);
  ASSERT_TRUE(s->running());
  EXPECT_FALSE(s->is_leader());
  EXPECT_EQ(c_.kv(old)->get("k"), "after");
  EXPECT_EQ(c_.kv(old)->applied_index(), c_.kv(next)->applied_index());
  expect_safe();
}

TEST_F(ThreeNodes, LeadershipTransferMovesTheLeader) {
  const cairn::NodeId leader = c_.await_leader();
  ASSERT_NE(leader, 0u);
  ASSERT_TRUE(put("k", "v", 1, 1));
  const cairn::NodeId target = leader == 3 ? 1 : 3;
  auto r = c_.admin(leader, wire::ADMIN_TRANSFER_LEADER, target);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status(), wire::ADMIN_OK);
  c_.run(milliseconds(200));
  EXPECT_EQ(c_.leader(), target);
  expect_safe();
}

TEST(RaftService, AddLearnerPromoteAndRemoveAVoter) {
  ServiceCluster c(3, small_config({1, 2, 3}));
  for (cairn::NodeId id : {1, 2, 3, 4}) c.add(id);  // n4 starts outside the group
  cairn::NodeId leader = c.await_leader();
  ASSERT_NE(leader, 0u);
  auto add = c.admin(leader, wire::ADMIN_ADD_LEARNER, 4);
  ASSERT_TRUE(add.has_value());
  EXPECT_EQ(add->status(), wire::ADMIN_OK) << add->error();
  std::optional<wire::AdminResponse> promote;
  for (int i = 0; i < 20 && !(promote && promote->status() == wire::ADMIN_OK); ++i) {
    c.run(milliseconds(50));
    promote = c.admin(c.await_leader(), wire::ADMIN_PROMOTE, 4);
  }
  ASSERT_TRUE(promote.has_value());
  EXPECT_EQ(promote->status(), wire::ADMIN_OK) << promote->error();
  leader = c.await_leader();
  const cairn::NodeId victim = leader == 1 ? 2 : 1;
  auto remove = c.admin(leader, wire::ADMIN_REMOVE, victim);
  ASSERT_TRUE(remove.has_value());
  EXPECT_EQ(remove->status(), wire::ADMIN_OK) << remove->error();
  c.run(milliseconds(200));
  const Raft* r = c.service(4)->raft();
  EXPECT_EQ(r->voters().count(4), 1u);
  EXPECT_EQ(r->voters().count(victim), 0u);
  EXPECT_EQ(r->voters().size(), 3u);
  auto bad = c.admin(c.await_leader(), wire::ADMIN_PROMOTE, 9);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->status(), wire::ADMIN_INVALID);
  EXPECT_TRUE(c.safety.checker().ok());
}

TEST(RaftService, SnapshotsCompactTheLogAndALaggingNodeInstallsOne) {
  RaftServiceConfig config = small_config({1, 2, 3});
  config.snapshot_every = 8;
  ServiceCluster c(11, config);
  for (cairn::NodeId id : {1, 2, 3}) c.add(id);
  cairn::NodeId leader = c.await_leader();
  const cairn::NodeId lagging = leader == 3 ? 2 : 3;
  c.crash(lagging);
  for (int i = 1; i <= 30; ++i) {
    auto r = c.call(c.await_leader(), kv_command(kv::wire::KV_PUT, "k", absl::StrCat(i), 1, i));
    ASSERT_TRUE(r && r->status() == kv::wire::KV_OK);
  }
  EXPECT_GT(c.service(c.await_leader())->raft()->log().snapshot_index(), 0u);
  c.restart(lagging);
  c.run(seconds(1));
  EXPECT_EQ(c.kv(lagging)->get("k"), "30");
  // And a restart of that node recovers from its own snapshot file.
  c.crash(lagging);
  c.restart(lagging);
  c.run(milliseconds(10));
  EXPECT_GT(c.service(lagging)->recovery().snapshot_index, 0u);
  c.run(seconds(1));
  EXPECT_EQ(c.kv(lagging)->get("k"), "30");
  EXPECT_TRUE(c.safety.checker().ok());
}

// A state that grows with its log (every put a new key) is not serialized every
// snapshot_every entries: a snapshot waits until the log since the last one holds as many
// bytes as it, so the snapshots' sizes at least double from one to the next.
TEST(RaftService, SnapshotsOfAGrowingStateWaitForAsManyLoggedBytes) {
  RaftServiceConfig config = small_config({1, 2, 3});
  config.snapshot_every = 4;
  ServiceCluster c(17, config);
  for (cairn::NodeId id : {1, 2, 3}) c.add(id);
  const cairn::NodeId leader = c.await_leader();
  const std::string value(1024, 'v');
  for (int i = 1; i <= 64; ++i) {
    auto r = c.call(leader, kv_command(kv::wire::KV_PUT, absl::StrCat("k", i), value, 1, i));
    ASSERT_TRUE(r && r->status() == kv::wire::KV_OK);
  }
  c.run(milliseconds(100));
  const int64_t snapshots = c.cluster().node(leader).metrics().counter("raft_snapshots").value();
  // Every 4 entries would be 16 snapshots of ~64 entries; doubling sizes allow about 6.
  EXPECT_GE(snapshots, 2);
  EXPECT_LE(snapshots, 7);
  EXPECT_GT(c.service(leader)->raft()->log().snapshot_index(), 0u);
  EXPECT_EQ(c.kv(leader)->get("k64"), value);
  EXPECT_TRUE(c.safety.checker().ok());
}

TEST(RaftService, ASnapshotLargerThanAFrameTravelsInPiecesEvenWhenOneIsLost) {
  RaftServiceConfig config = small_config({1, 2, 3});
  config.snapshot_every = 4;
  ServiceCluster c(13, config);
  for (cairn::NodeId id : {1, 2, 3}) c.add(id);
  const cairn::NodeId leader = c.await_leader();
  const cairn::NodeId lagging = leader == 3 ? 2 : 3;
  c.crash(lagging);
  // Eight values of 900 KiB: a state of about 7 MiB, more than a frame's 4 MiB header.
  for (int i = 1; i <= 8; ++i) {
    const std::string value(900 << 10, static_cast<char>('a' + i));
    auto r =
        c.call(c.await_leader(), kv_command(kv::wire::KV_PUT, absl::StrCat("k", i), value, 1, i));
    ASSERT_TRUE(r && r->status() == kv::wire::KV_OK);
  }
  int pieces = 0, dropped = 0;
  c.cluster().filter = [&](cairn::NodeId, cairn::NodeId to, const Message& m) {
    if (to != lagging || m.type != cairn::wire::kRaftMessage || m.payload.empty()) return true;
    EXPECT_LE(m.header.size(), 4096u);  // the bulk is in the payload, never in the header
    ++pieces;
    return !(pieces == 2 && ++dropped == 1);  // lose the second piece once
  };
  c.restart(lagging);
  c.run(seconds(3));
  EXPECT_GE(pieces, 14);  // two sendings of at least seven pieces each
  EXPECT_EQ(dropped, 1);
  for (int i = 1; i <= 8; ++i) {
    EXPECT_EQ(c.kv(lagging)->get(absl::StrCat("k", i)),
              std::string(900 << 10, static_cast<char>('a' + i)));
  }
  EXPECT_TRUE(c.safety.checker().ok());
}

TEST(RaftService, TornLogTailIsCutOffAndTheNodeRejoins) {
  ServiceCluster c(5, small_config({1, 2, 3}));
  for (cairn::NodeId id : {1, 2, 3}) c.add(id);
  const cairn::NodeId leader = c.await_leader();
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(
        c.call(leader, kv_command(kv::wire::KV_PUT, "k", absl::StrCat(i), 1, i)).has_value());
  }
  const cairn::NodeId victim = leader == 1 ? 2 : 1;
  c.crash(victim);
  // A half-written record and then garbage after the synced log, as a torn write leaves.
  MemDisk& disk = c.cluster().node(victim).mem_disk();
  wire::Entry bogus;
  bogus.set_index(999);
  bogus.set_term(999);
  bogus.set_data("garbage");
  std::string torn = DiskStorage::frame(bogus.SerializeAsString());
  torn[torn.size() - 2] ^= 0x5a;
  ASSERT_TRUE(disk.append("raft/log", torn + "\x01\x02\x03").ok());
  ASSERT_TRUE(disk.sync("raft/log").ok());
  c.restart(victim);
  c.run(milliseconds(10));
  RaftService* s = c.service(victim);
  ASSERT_TRUE(s->running());
  EXPECT_EQ(s->recovery().dropped_bytes, torn.size() + 3);
  EXPECT_TRUE(s->recovery().rewrote_log);
  EXPECT_LT(s->raft()->log().last_index(), 999u);
  c.run(seconds(1));
  EXPECT_EQ(c.kv(victim)->get("k"), "5");
  // The rewritten log is clean: a second restart drops nothing.
  c.crash(victim);
  c.restart(victim);
  c.run(milliseconds(10));
  EXPECT_EQ(c.service(victim)->recovery().dropped_bytes, 0u);
  EXPECT_TRUE(c.safety.checker().ok());
}

TEST(RaftService, CorruptHardStateStopsTheNode) {
  ServiceCluster c(5, small_config({1, 2, 3}));
  for (cairn::NodeId id : {1, 2, 3}) c.add(id);
  ASSERT_NE(c.await_leader(), 0u);
  c.crash(2);
  MemDisk& disk = c.cluster().node(2).mem_disk();
  ASSERT_TRUE(disk.write("raft/hard_state", "not a record at all").ok());
  ASSERT_TRUE(disk.sync("raft/hard_state").ok());
  c.restart(2);
  c.run(milliseconds(100));
  EXPECT_FALSE(c.service(2)->running());
  auto r = c.call(2, kv_command(kv::wire::KV_GET, "k"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status(), kv::wire::KV_UNAVAILABLE);
}

}  // namespace
}  // namespace cairn::raft::testing
