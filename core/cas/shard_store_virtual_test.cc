// The shard store with virtual blobs (lengths only, the simulator's large payloads) on the
// simulated disk model (MemDisk): put, reads, dedup, capacity, a full disk, recovery, and
// rot reported only where a fault damaged the bytes.
#include <gtest/gtest.h>

#include <set>

#include "core/cas/blob_format.h"
#include "core/cas/scrubber.h"
#include "core/cas/shard_store_testing.h"

namespace cairn::cas {
namespace {

using testing::bytes_of;
using testing::digest_of;
using testing::StoreHarness;

// A content address for a virtual blob of `size` bytes, distinct per `seed`.
Digest virtual_digest(uint64_t size, uint64_t seed) {
  return Digest(digest_of(bytes_of(16, seed)).hash(), size);
}

constexpr uint64_t kSize = 3'000'017;  // 46 blocks, the last one short

TEST(ShardStoreVirtual, StoresALengthAndReadsBackVirtualRanges) {
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  const Digest d = virtual_digest(kSize, 1);
  auto put = h.put_virtual(d);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_FALSE(put->deduplicated);
  EXPECT_TRUE(h.store().is_virtual(d));
  EXPECT_EQ(h.store().stats().used_bytes, file_bytes_for(kSize));
  // The disk charges the whole file's length but holds no bytes of it.
  EXPECT_EQ(h.mem_disk().bytes_stored(), file_bytes_for(kSize));
  EXPECT_EQ(h.mem_disk().stat(blob_name("cas", d))->size_bytes, file_bytes_for(kSize));

  auto whole = h.payload(d, 0, kSize);
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(whole->virtual_bytes, kSize);
  EXPECT_TRUE(whole->view().empty());
  auto part = h.payload(d, 70'000, 123'456);
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(part->size(), 123'456u);
  EXPECT_EQ(part->virtual_bytes, 123'456u);
  EXPECT_TRUE(absl::IsOutOfRange(h.payload(d, kSize - 10, 11).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(h.range(d, 0, 10).status())) << "no bytes to give";
  h.store().check_invariants();
}

TEST(ShardStoreVirtual, RealBlobsReadThroughReadPayloadToo) {
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  const std::string bytes = bytes_of(100'000, 3);
  ASSERT_TRUE(h.put(bytes).ok());
  EXPECT_FALSE(h.store().is_virtual(digest_of(bytes)));
  auto got = h.payload(digest_of(bytes), 10, 70'000);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->virtual_bytes, 0u);
  EXPECT_EQ(got->view(), bytes.substr(10, 70'000));
}

TEST(ShardStoreVirtual, DeduplicatesAndChecksTheLength) {
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  const Digest d = virtual_digest(kSize, 1);
  ASSERT_TRUE(h.put_virtual(d).ok());
  auto again = h.put_virtual(d);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->deduplicated);
  EXPECT_EQ(h.store().stats().used_bytes, file_bytes_for(kSize));
  // A length that is not the digest's size is refused, as real bytes would be.
  Payload short_one;
  short_one.virtual_bytes = kSize - 1;
  std::optional<absl::StatusOr<PutResult>> out;
  h.store().put(virtual_digest(kSize, 2), short_one, [&](auto r) { out = std::move(r); });
  h.run();
  ASSERT_TRUE(out.has_value());
  EXPECT_TRUE(absl::IsInvalidArgument(out->status()));
  EXPECT_EQ(h.store().stats().blobs, 1u);
}

TEST(ShardStoreVirtual, RefusesPiecesThatMixRealAndVirtualBytes) {
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  auto id = h.store().begin_put(virtual_digest(200, 5));
  ASSERT_TRUE(id.ok());
  Payload virt;
  virt.virtual_bytes = 100;
  std::optional<absl::Status> first;
  h.store().append(*id, virt, [&](absl::Status s) { first = s; });
  h.run();
  ASSERT_TRUE(first.has_value() && first->ok());
  EXPECT_TRUE(absl::IsInvalidArgument(h.append(*id, std::string(100, 'x'))));
  // The refused piece changed nothing: the put is still open, and aborts cleanly.
  EXPECT_EQ(h.store().stats().reserved_bytes, file_bytes_for(200));
  EXPECT_TRUE(h.abort(*id).ok());
  EXPECT_EQ(h.store().stats().reserved_bytes, 0u);

  Payload both("abc");
  both.virtual_bytes = 7;
  std::optional<absl::StatusOr<PutResult>> out;
  h.store().put(virtual_digest(10, 6), both, [&](auto r) { out = std::move(r); });
  h.run();
  EXPECT_TRUE(absl::IsInvalidArgument(out->status()));
  EXPECT_TRUE(h.files().empty());
}

TEST(ShardStoreVirtual, CountsAgainstCapacityAndAFullDisk) {
  ShardStoreOptions o;
  o.capacity_bytes = file_bytes_for(kSize) + 1000;
  StoreHarness h(o);
  ASSERT_TRUE(h.open().ok());
  ASSERT_TRUE(h.put_virtual(virtual_digest(kSize, 1)).ok());
  EXPECT_TRUE(absl::IsResourceExhausted(h.put_virtual(virtual_digest(kSize, 2)).status()));
  EXPECT_EQ(h.store().stats().blobs, 1u);

  StoreHarness full;
  ASSERT_TRUE(full.open().ok());
  full.mem_disk().set_capacity(kSize / 2);  // the disk fills up half way through the put
  EXPECT_TRUE(absl::IsResourceExhausted(full.put_virtual(virtual_digest(kSize, 3)).status()));
  EXPECT_EQ(full.store().stats().blobs, 0u);
  EXPECT_EQ(full.store().stats().reserved_bytes, 0u);
  EXPECT_TRUE(full.files().empty()) << "its temporary was removed";
}

TEST(ShardStoreVirtual, RecoveryRebuildsTheIndexWithVirtualBlobs) {
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  const Digest v = virtual_digest(kSize, 1);
  const std::string real = bytes_of(5000, 2);
  ASSERT_TRUE(h.put_virtual(v).ok());
  ASSERT_TRUE(h.put(real).ok());
  auto rec = h.crash_and_open();
  ASSERT_TRUE(rec.ok()) << rec.status();
  EXPECT_EQ(rec->blobs, 2u);
  EXPECT_EQ(rec->quarantined, 0u);
  EXPECT_TRUE(h.store().is_virtual(v));
  EXPECT_FALSE(h.store().is_virtual(digest_of(real)));
  EXPECT_EQ(h.store().stats().used_bytes, file_bytes_for(kSize) + file_bytes_for(5000));
  EXPECT_EQ(h.payload(v, 5, 65536)->virtual_bytes, 65536u);
  EXPECT_EQ(h.get(digest_of(real)).value(), real);
}

TEST(ShardStoreVirtual, AnUnsyncedVirtualPutVanishesInACrash) {
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  auto id = h.store().begin_put(virtual_digest(kSize, 1));
  ASSERT_TRUE(id.ok());
  Payload piece;
  piece.virtual_bytes = 1 << 20;
  std::optional<absl::Status> st;
  h.store().append(*id, piece, [&](absl::Status s) { st = s; });
  h.run();
  ASSERT_TRUE(st.has_value() && st->ok());
  auto rec = h.crash_and_open();
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->blobs, 0u);
  EXPECT_EQ(h.mem_disk().bytes_stored(), 0u);
}

TEST(ShardStoreVirtual, ARangeReadReportsRotOnlyWhereAFaultDamagedTheBytes) {
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  const Digest d = virtual_digest(kSize, 1);
  ASSERT_TRUE(h.put_virtual(d).ok());
  const std::vector<RotReport> rot = h.mem_disk().rot(h.rt().rng(), 1);
  ASSERT_EQ(rot.size(), 1u);
  ASSERT_LT(rot[0].offset, kSize) << "pinned seed: the rot lands in the data";
  const uint64_t block = rot[0].offset / kBlockBytes;
  // A range of other blocks reads fine; the damaged block is DataLoss and quarantines.
  const uint64_t other = block == 0 ? kBlockBytes : 0;
  EXPECT_TRUE(h.payload(d, other, 1000).ok());
  EXPECT_TRUE(absl::IsDataLoss(h.payload(d, block * kBlockBytes, 10).status()));
  EXPECT_FALSE(h.store().contains(d));
  EXPECT_EQ(h.store().stats().quarantined, 1u);
  EXPECT_TRUE(absl::IsNotFound(h.payload(d, other, 1000).status()));
}

class VirtualScrubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(h_.open().ok());
    for (uint64_t i = 0; i < 4; ++i) {
      digests_.push_back(virtual_digest(kSize + i * 1000, i));
      ASSERT_TRUE(h_.put_virtual(digests_.back()).ok());
    }
  }
  ScrubReport pass() {
    ScrubberOptions o;
    o.bytes_per_second = 10e6;
    Scrubber s(h_.store(), o, [&](const Digest& d) { rotten_.insert(d); });
    std::optional<ScrubReport> out;
    const Time start = h_.rt().now();
    s.run_pass([&](ScrubReport r) {
      out = r;
      took_ = h_.rt().now() - start;
    });
    h_.cluster().advance(std::chrono::hours(1));
    EXPECT_TRUE(out.has_value());
    return out.value_or(ScrubReport{});
  }
  uint64_t total() const {
    uint64_t n = 0;
    for (const Digest& d : digests_) n += d.size_bytes();
    return n;
  }
  StoreHarness h_;
  std::vector<Digest> digests_;
  std::set<Digest> rotten_;
  Duration took_{0};
};

TEST_F(VirtualScrubTest, AHealthyPassReadsEveryByteOnBudgetAndFindsNothing) {
  const ScrubReport r = pass();
  EXPECT_EQ(r.blobs, digests_.size());
  EXPECT_EQ(r.bytes, total());
  EXPECT_EQ(r.rot, 0u);
  EXPECT_TRUE(rotten_.empty());
  // Reading time is charged for the virtual bytes: ~12 MB at 10 MB/s.
  EXPECT_GE(took_, from_seconds(static_cast<double>(total()) / 10e6 * 0.9));
}

TEST_F(VirtualScrubTest, FindsRotInjectedAnywhereInAVirtualBlobFile) {
  const std::vector<RotReport> rot = h_.mem_disk().rot(h_.rt().rng(), 2);
  ASSERT_EQ(rot.size(), 2u);
  const ScrubReport r = pass();
  EXPECT_EQ(r.rot, 2u);
  EXPECT_EQ(r.blobs, digests_.size() - 2);
  EXPECT_EQ(rotten_.size(), 2u);
  for (const RotReport& x : rot) {
    const std::optional<Digest> d = digest_from_blob_name("cas", x.name);
    ASSERT_TRUE(d.has_value());
    EXPECT_TRUE(rotten_.contains(*d)) << x.name << " at " << x.offset;
    EXPECT_FALSE(h_.store().contains(*d));
  }
}

}  // namespace
}  // namespace cairn::cas
