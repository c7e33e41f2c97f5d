// The shard store over FaultyDisk: disk faults injected through the same Disk calls.
#include <gtest/gtest.h>

#include "core/cas/blob_format.h"
#include "core/cas/shard_store.h"
#include "core/cas/shard_store_testing.h"
#include "core/runtime/faulty_disk.h"

namespace cairn::cas {
namespace {

using testing::bytes_of;
using testing::digest_of;

// A node's runtime whose disk is a FaultyDisk over its MemDisk-backed disk.
class FaultyRuntime final : public Runtime {
 public:
  explicit FaultyRuntime(ManualRuntime& inner) : inner_(inner), disk_(inner.disk(), Rng(99)) {}
  NodeId self() const override { return inner_.self(); }
  Time now() const override { return inner_.now(); }
  TimerId after(Duration delay, Callback fn) override { return inner_.after(delay, fn); }
  void cancel(TimerId id) override { inner_.cancel(id); }
  void send(NodeId to, Message message) override { inner_.send(to, std::move(message)); }
  Rng& rng() override { return inner_.rng(); }
  Disk& disk() override { return disk_; }
  void compute(Cost cost, Callback work, Callback done) override {
    inner_.compute(cost, std::move(work), std::move(done));
  }
  Log& log() override { return inner_.log(); }
  Metrics& metrics() override { return inner_.metrics(); }
  FaultyDisk& faulty() { return disk_; }

 private:
  ManualRuntime& inner_;
  FaultyDisk disk_;
};

class FaultyDiskTest : public ::testing::Test {
 protected:
  FaultyDiskTest() : node_(cluster_.add_node(1)), rt_(node_), store_(rt_) {
    absl::Status st = absl::InternalError("not done");
    store_.recover([&](absl::StatusOr<RecoveryReport> r) { st = r.status(); });
    cluster_.advance(Duration(0));
    EXPECT_TRUE(st.ok()) << st;
  }
  absl::Status put(const std::string& bytes) {
    absl::Status st = absl::InternalError("not done");
    store_.put(digest_of(bytes), Payload(bytes),
               [&](absl::StatusOr<PutResult> r) { st = r.status(); });
    cluster_.advance(Duration(0));
    return st;
  }
  absl::StatusOr<std::string> get(const Digest& d) {
    absl::StatusOr<std::string> out = absl::InternalError("not done");
    store_.get(d, [&](absl::StatusOr<std::string> r) { out = std::move(r); });
    cluster_.advance(Duration(0));
    return out;
  }

  ManualCluster cluster_{3};
  ManualRuntime& node_;
  FaultyRuntime rt_;
  ShardStore store_;
};

TEST_F(FaultyDiskTest, AnUnreadableSectorIsDataLossButNotQuarantine) {
  const std::string bytes = bytes_of(5000, 1);
  ASSERT_TRUE(put(bytes).ok());
  DiskFaults f;
  f.read_error_probability = 1.0;
  rt_.faulty().set_faults(f);
  EXPECT_TRUE(absl::IsDataLoss(get(digest_of(bytes)).status()));
  // A read error says nothing about the bytes: once the disk reads again, they are served.
  rt_.faulty().set_faults(DiskFaults{});
  EXPECT_EQ(get(digest_of(bytes)).value(), bytes);
  EXPECT_EQ(store_.stats().quarantined, 0u);
}

TEST_F(FaultyDiskTest, AFullDiskIsResourceExhaustedAndLeavesNoTemporary) {
  DiskFaults f;
  f.full = true;
  rt_.faulty().set_faults(f);
  const std::string bytes = bytes_of(3 * kBlockBytes, 2);
  EXPECT_TRUE(absl::IsResourceExhausted(put(bytes)));
  EXPECT_TRUE(node_.mem_disk().list("cas/").empty());
  rt_.faulty().set_faults(DiskFaults{});
  EXPECT_TRUE(put(bytes).ok());
  EXPECT_EQ(get(digest_of(bytes)).value(), bytes);
}

TEST_F(FaultyDiskTest, ALostWriteIsRefusedAtPutAndNeverServed) {
  DiskFaults f;
  f.lost_write_probability = 0.3;
  rt_.faulty().set_faults(f);
  std::vector<std::pair<std::string, absl::Status>> puts;
  for (uint64_t i = 0; i < 8; ++i) {
    const std::string b = bytes_of(2 * kBlockBytes + i, 10 + i);
    puts.emplace_back(b, put(b));
  }
  rt_.faulty().set_faults(DiskFaults{});
  int refused = 0;
  for (const auto& [b, st] : puts) {
    auto got = get(digest_of(b));
    if (st.ok()) {
      EXPECT_EQ(got.value(), b) << "an acknowledged put was not stored";
    } else {
      EXPECT_TRUE(absl::IsDataLoss(st)) << st.ToString();
      EXPECT_TRUE(absl::IsNotFound(got.status())) << got.status();
      ++refused;
    }
  }
  EXPECT_GT(refused, 0) << "no write was lost: the test proves nothing";
  EXPECT_GT(rt_.faulty().injected("disk_lost_write"), 0u);
  EXPECT_TRUE(node_.mem_disk().list("cas/tmp/").empty());
}

}  // namespace
}  // namespace cairn::cas
