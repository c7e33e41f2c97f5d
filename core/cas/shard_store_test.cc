#include "core/cas/shard_store.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "core/cas/blob_format.h"
#include "core/cas/shard_store_testing.h"
#include "core/wire/crc32c.h"

namespace cairn::cas {
namespace {

using testing::bytes_of;
using testing::digest_of;
using testing::StoreHarness;

bool has_prefix(const std::vector<std::string>& names, const std::string& prefix) {
  for (const auto& n : names) {
    if (absl::StartsWith(n, prefix)) return true;
  }
  return false;
}

// Flips one bit of a file's durable contents, as rot at rest would.
void flip(MemDisk& disk, const std::string& name, uint64_t offset) {
  std::string bytes = disk.read(name).value();
  ASSERT_LT(offset, bytes.size());
  bytes[offset] ^= 0x10;
  ASSERT_TRUE(disk.write(name, bytes).ok());
  ASSERT_TRUE(disk.sync(name).ok());
}

TEST(BlobFormat, NamesFanOutAndRoundTrip) {
  const Digest d = digest_of("hello");
  const std::string name = blob_name("cas", d);
  EXPECT_EQ(name.size(), std::string("cas/ab/cd/").size() + 64 + 2);
  EXPECT_EQ(digest_from_blob_name("cas", name), d);
  EXPECT_EQ(digest_from_blob_name("cas", "cas/tmp/3"), std::nullopt);
  EXPECT_EQ(digest_from_blob_name("cas", quarantine_name("cas", d)), std::nullopt);
  EXPECT_EQ(digest_from_blob_name("other", name), std::nullopt);
  EXPECT_EQ(file_bytes_for(0), kFooterBytes);
  EXPECT_EQ(file_bytes_for(kBlockBytes + 1), kBlockBytes + 1 + 2 * kCrcBytes + kFooterBytes);
}

TEST(BlobFormat, FooterChecksDetectDamage) {
  std::string t = encode_trailer({1, 2, 3});
  std::string footer = t.substr(t.size() - kFooterBytes);
  EXPECT_TRUE(check_footer(footer).ok());
  for (size_t i = 0; i < footer.size(); ++i) {
    std::string bad = footer;
    bad[i] ^= 1;
    EXPECT_TRUE(absl::IsDataLoss(check_footer(bad))) << "byte " << i;
  }
}

TEST(ShardStore, OperationsBeforeRecoveryAreFailedPrecondition) {
  StoreHarness h;
  ShardStore store(h.rt());
  EXPECT_TRUE(absl::IsFailedPrecondition(store.begin_put(digest_of("x")).status()));
  absl::Status got;
  store.get(digest_of("x"), [&](absl::StatusOr<std::string> r) { got = r.status(); });
  h.run();
  EXPECT_TRUE(absl::IsFailedPrecondition(got)) << got;
}

TEST(ShardStore, PutThenReadWholeAndRangesAcrossBlocks) {
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  const std::string bytes = bytes_of(3 * kBlockBytes + 123, 7);
  const Digest d = digest_of(bytes);
  auto put = h.put(bytes);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_FALSE(put->deduplicated);
  EXPECT_EQ(h.get(d).value(), bytes);
  for (uint64_t off : {uint64_t{0}, kBlockBytes - 1, kBlockBytes, 2 * kBlockBytes + 5}) {
    for (uint64_t len : {uint64_t{0}, uint64_t{1}, uint64_t{2}, kBlockBytes + 1}) {
      if (off + len > bytes.size()) continue;
      EXPECT_EQ(h.range(d, off, len).value(), bytes.substr(off, len)) << off << "+" << len;
    }
  }
  EXPECT_EQ(h.range(d, bytes.size(), 0).value(), "");
  EXPECT_EQ(h.store().stats().blobs, 1u);
  EXPECT_EQ(h.store().stats().used_bytes, file_bytes_for(bytes.size()));
  EXPECT_EQ(h.files(), std::vector<std::string>{blob_name("cas", d)});
  h.store().check_invariants();
}

TEST(ShardStore, WholeBlocksReadCarryTheirCrcAndRangesWithinBlocksDoNot) {
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  const std::string bytes = bytes_of(3 * kBlockBytes + 123, 8);
  const Digest d = digest_of(bytes);
  ASSERT_TRUE(h.put(bytes).ok());
  for (auto [off, len] : {std::pair<uint64_t, uint64_t>{0, bytes.size()},
                          {kBlockBytes, kBlockBytes},
                          {2 * kBlockBytes, kBlockBytes + 123}}) {
    absl::StatusOr<Payload> p = h.payload(d, off, len);
    ASSERT_TRUE(p.ok()) << p.status();
    ASSERT_TRUE(p->has_crc32c()) << off << "+" << len;
    EXPECT_EQ(p->crc32c(), wire::crc32c(p->data(), p->view().size())) << off << "+" << len;
    EXPECT_EQ(p->view(), bytes.substr(off, len));
  }
  absl::StatusOr<Payload> inner = h.payload(d, 5, kBlockBytes);
  ASSERT_TRUE(inner.ok());
  EXPECT_FALSE(inner->has_crc32c());
  EXPECT_EQ(inner->view(), bytes.substr(5, kBlockBytes));
}

TEST(ShardStore, EmptyBlobIsStoredAndRead) {
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  ASSERT_TRUE(h.put("").ok());
  EXPECT_EQ(h.get(digest_of("")).value(), "");
  EXPECT_TRUE(absl::IsOutOfRange(h.range(digest_of(""), 0, 1).status()));
}

TEST(ShardStore, SecondPutOfAPresentDigestIsADedupNoOp) {
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  const std::string bytes = bytes_of(1000, 1);
  ASSERT_FALSE(h.put(bytes).value().deduplicated);
  const uint64_t stored = h.mem_disk().bytes_stored();
  auto again = h.put(bytes);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->deduplicated);
  EXPECT_EQ(h.mem_disk().bytes_stored(), stored);
  EXPECT_EQ(h.files().size(), 1u);
}

TEST(ShardStore, BytesThatDoNotHashToTheDigestAreInvalidArgumentAndStoreNothing) {
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  const std::string bytes = bytes_of(5000, 1);
  std::string other = bytes;
  other[4999] ^= 1;
  auto r = h.put_as(digest_of(bytes), other);
  EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();
  auto wrong_size = h.put_as(digest_of(bytes), bytes.substr(1));
  EXPECT_TRUE(absl::IsInvalidArgument(wrong_size.status())) << wrong_size.status();
  EXPECT_TRUE(h.files().empty());
  EXPECT_TRUE(absl::IsNotFound(h.get(digest_of(bytes)).status()));
  EXPECT_EQ(h.store().stats().reserved_bytes, 0u);
  h.store().check_invariants();
}

TEST(ShardStore, RangesOutsideTheBlobAreOutOfRange) {
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  const std::string bytes = bytes_of(100, 2);
  const Digest d = digest_of(bytes);
  ASSERT_TRUE(h.put(bytes).ok());
  EXPECT_TRUE(absl::IsOutOfRange(h.range(d, 101, 0).status()));
  EXPECT_TRUE(absl::IsOutOfRange(h.range(d, 50, 51).status()));
  EXPECT_TRUE(absl::IsOutOfRange(h.range(d, UINT64_MAX, 2).status()));
  EXPECT_TRUE(absl::IsOutOfRange(h.range(d, 1, UINT64_MAX).status()));
  EXPECT_EQ(h.range(d, 50, 50).value(), bytes.substr(50));
}

TEST(ShardStore, MissingBlobsAreNotFound) {
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  const Digest d = digest_of("absent");
  EXPECT_TRUE(absl::IsNotFound(h.get(d).status()));
  EXPECT_TRUE(absl::IsNotFound(h.range(d, 0, 1).status()));
  EXPECT_TRUE(absl::IsNotFound(h.remove(d)));
}

TEST(ShardStore, RemoveForgetsTheBlobAndAPutStoresItAgain) {
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  const std::string bytes = bytes_of(70000, 3);
  const Digest d = digest_of(bytes);
  ASSERT_TRUE(h.put(bytes).ok());
  ASSERT_TRUE(h.remove(d).ok());
  EXPECT_TRUE(absl::IsNotFound(h.get(d).status()));
  EXPECT_TRUE(h.files().empty());
  EXPECT_EQ(h.store().stats().used_bytes, 0u);
  EXPECT_FALSE(h.put(bytes).value().deduplicated);
  EXPECT_EQ(h.get(d).value(), bytes);
}

TEST(ShardStore, RemoveIfIdleKeepsABlobStoredOrDeduplicatedWithinTheGrace) {
  using namespace std::chrono_literals;
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  const std::string bytes = bytes_of(3000, 11);
  const Digest d = digest_of(bytes);
  ASSERT_TRUE(h.put(bytes).ok());
  h.cluster().advance(40s);
  EXPECT_TRUE(absl::IsFailedPrecondition(h.remove_if_idle(d, 60s)));
  EXPECT_EQ(h.get(d).value(), bytes) << "a refused removal keeps the blob";
  // A deduplicated put counts as a use: the grace starts again.
  h.cluster().advance(30s);
  ASSERT_TRUE(h.put(bytes).value().deduplicated);
  h.cluster().advance(50s);
  EXPECT_TRUE(absl::IsFailedPrecondition(h.remove_if_idle(d, 60s)));
  h.cluster().advance(11s);
  EXPECT_TRUE(h.remove_if_idle(d, 60s).ok());
  EXPECT_TRUE(absl::IsNotFound(h.get(d).status()));
  EXPECT_TRUE(absl::IsNotFound(h.remove_if_idle(d, 60s)));
}

TEST(ShardStore, RecoveredBlobsStartTheirGraceAtRecovery) {
  using namespace std::chrono_literals;
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  const std::string bytes = bytes_of(3000, 12);
  ASSERT_TRUE(h.put(bytes).ok());
  h.cluster().advance(600s);
  ASSERT_TRUE(h.crash_and_open().ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(h.remove_if_idle(digest_of(bytes), 60s)));
}

TEST(ShardStore, AStreamedPutThatFoundTheBlobFailsIfTheBlobIsRemovedBeforeCommit) {
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  const std::string bytes = bytes_of(5000, 13);
  const Digest d = digest_of(bytes);
  ASSERT_TRUE(h.put(bytes).ok());
  auto id = h.store().begin_put(d);  // finds the blob: a deduplicated put
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(h.append(*id, bytes).ok());
  ASSERT_TRUE(h.remove(d).ok());
  auto done = h.commit(*id);
  EXPECT_TRUE(absl::IsUnavailable(done.status())) << done.status();
  EXPECT_TRUE(absl::IsNotFound(h.get(d).status()));
  h.store().check_invariants();
}

TEST(ShardStore, StreamingPutAcceptsPiecesAndChecksTheWhole) {
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  const std::string bytes = bytes_of(2 * kBlockBytes + 10, 4);
  const Digest d = digest_of(bytes);
  auto id = h.store().begin_put(d);
  ASSERT_TRUE(id.ok());
  // Pieces that straddle block boundaries.
  for (uint64_t at = 0; at < bytes.size(); at += 50000) {
    ASSERT_TRUE(h.append(*id, bytes.substr(at, 50000)).ok());
  }
  EXPECT_TRUE(absl::IsNotFound(h.get(d).status())) << "visible before commit";
  EXPECT_TRUE(absl::IsInvalidArgument(h.append(*id, "x"))) << "past the size";
  auto done = h.commit(*id);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(h.get(d).value(), bytes);
  EXPECT_TRUE(absl::IsFailedPrecondition(h.append(*id, "")));
  EXPECT_TRUE(absl::IsFailedPrecondition(h.commit(*id).status()));
}

TEST(ShardStore, AbortAndShortCommitLeaveNothingBehind) {
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  const std::string bytes = bytes_of(100000, 5);
  auto id = h.store().begin_put(digest_of(bytes));
  ASSERT_TRUE(h.append(*id, bytes.substr(0, 40000)).ok());
  EXPECT_TRUE(h.store().stats().reserved_bytes > 0);
  ASSERT_TRUE(h.abort(*id).ok());
  EXPECT_TRUE(h.files().empty());
  auto id2 = h.store().begin_put(digest_of(bytes));
  ASSERT_TRUE(h.append(*id2, bytes.substr(0, 40000)).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(h.commit(*id2).status()));
  EXPECT_TRUE(h.files().empty());
  EXPECT_EQ(h.store().stats().reserved_bytes, 0u);
  h.store().check_invariants();
}

TEST(ShardStore, PiecesOverTheLimitAreRefusedAndTheStreamStaysUsable) {
  ShardStoreOptions o;
  o.max_piece_bytes = 1000;
  StoreHarness h(o);
  ASSERT_TRUE(h.open().ok());
  const std::string bytes = bytes_of(2500, 6);
  auto id = h.store().begin_put(digest_of(bytes));
  EXPECT_TRUE(absl::IsInvalidArgument(h.append(*id, bytes.substr(0, 1001))));
  for (uint64_t at = 0; at < bytes.size(); at += 1000) {
    ASSERT_TRUE(h.append(*id, bytes.substr(at, 1000)).ok());
  }
  ASSERT_TRUE(h.commit(*id).ok());
  // A whole put is cut into pieces of the limit by the store itself.
  const std::string big = bytes_of(4321, 7);
  ASSERT_TRUE(h.put(big).ok());
  EXPECT_EQ(h.get(digest_of(big)).value(), big);
}

TEST(ShardStore, BoundsOnOperationsAndOpenPuts) {
  ShardStoreOptions o;
  o.max_ops_in_flight = 1;
  o.max_open_puts = 1;
  o.max_read_bytes = 100;
  StoreHarness h(o);
  ASSERT_TRUE(h.open().ok());
  const std::string bytes = bytes_of(150, 8);
  const Digest d = digest_of(bytes);
  ASSERT_TRUE(h.put(bytes).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(h.get(d).status())) << "over max_read_bytes";
  absl::Status first, second;
  h.store().read_range(d, 0, 10, [&](absl::StatusOr<std::string> r) { first = r.status(); });
  h.store().read_range(d, 0, 10, [&](absl::StatusOr<std::string> r) { second = r.status(); });
  h.run();
  EXPECT_TRUE(first.ok());
  EXPECT_TRUE(absl::IsUnavailable(second)) << second;
  auto id = h.store().begin_put(digest_of("a"));
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(absl::IsUnavailable(h.store().begin_put(digest_of("b")).status()));
  ASSERT_TRUE(h.abort(*id).ok());
  EXPECT_TRUE(h.store().begin_put(digest_of("b")).ok());
}

TEST(ShardStore, AFullDiskIsResourceExhaustedWithNothingHalfWritten) {
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  const std::string small = bytes_of(1000, 9);
  ASSERT_TRUE(h.put(small).ok());
  h.mem_disk().set_capacity(h.mem_disk().bytes_stored() + 50000);
  const std::string big = bytes_of(3 * kBlockBytes, 10);  // fails part-way through
  auto r = h.put(big);
  EXPECT_TRUE(absl::IsResourceExhausted(r.status())) << r.status();
  EXPECT_EQ(h.files(), std::vector<std::string>{blob_name("cas", digest_of(small))});
  EXPECT_TRUE(absl::IsNotFound(h.get(digest_of(big)).status()));
  EXPECT_EQ(h.get(digest_of(small)).value(), small);
  EXPECT_EQ(h.store().stats().reserved_bytes, 0u);
  // After a crash, too, nothing of it is visible.
  ASSERT_TRUE(h.crash_and_open().ok());
  EXPECT_TRUE(absl::IsNotFound(h.get(digest_of(big)).status()));
}

TEST(ShardStore, TheStoresCapacityIsEnforcedUpFront) {
  ShardStoreOptions o;
  o.capacity_bytes = file_bytes_for(1000) + file_bytes_for(500);
  StoreHarness h(o);
  ASSERT_TRUE(h.open().ok());
  ASSERT_TRUE(h.put(bytes_of(1000, 1)).ok());
  auto r = h.put(bytes_of(501, 2));
  EXPECT_TRUE(absl::IsResourceExhausted(r.status())) << r.status();
  EXPECT_TRUE(h.put(bytes_of(500, 3)).ok());
  EXPECT_EQ(h.store().stats().used_bytes, o.capacity_bytes);
  // Removing frees the space again.
  ASSERT_TRUE(h.remove(digest_of(bytes_of(1000, 1))).ok());
  EXPECT_TRUE(h.put(bytes_of(501, 2)).ok());
}

TEST(ShardStore, ARottenBlockIsDataLossAndTheBlobIsQuarantined) {
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  const std::string bytes = bytes_of(3 * kBlockBytes, 11);
  const Digest d = digest_of(bytes);
  ASSERT_TRUE(h.put(bytes).ok());
  flip(h.mem_disk(), blob_name("cas", d), 2 * kBlockBytes + 7);
  // Blocks untouched by the rot still verify: only the touched blocks are checked.
  EXPECT_EQ(h.range(d, 0, kBlockBytes).value(), bytes.substr(0, kBlockBytes));
  auto bad = h.range(d, 2 * kBlockBytes, 10);
  EXPECT_TRUE(absl::IsDataLoss(bad.status())) << bad.status();
  // Never served again, and moved aside.
  EXPECT_TRUE(absl::IsNotFound(h.range(d, 0, 10).status()));
  EXPECT_EQ(h.files(), std::vector<std::string>{quarantine_name("cas", d)});
  EXPECT_EQ(h.store().stats().quarantined, 1u);
  EXPECT_EQ(h.rt().metrics().counter("cas_quarantined").value(), 1);
  bool evented = false;
  for (const Event& e : h.rt().events()) evented = evented || e.kind == "cas_quarantine";
  EXPECT_TRUE(evented);
  // A fresh put of the same bytes stores a good copy again.
  EXPECT_FALSE(h.put(bytes).value().deduplicated);
  EXPECT_EQ(h.get(d).value(), bytes);
}

TEST(ShardStore, RotInTheChecksumTableIsAlsoDataLoss) {
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  const std::string bytes = bytes_of(kBlockBytes + 1, 12);
  const Digest d = digest_of(bytes);
  ASSERT_TRUE(h.put(bytes).ok());
  flip(h.mem_disk(), blob_name("cas", d), bytes.size() + 1);  // first block's CRC
  EXPECT_TRUE(absl::IsDataLoss(h.range(d, 0, 1).status()));
  EXPECT_FALSE(h.store().contains(d));
}

TEST(ShardStore, RecoveryRemovesTemporariesRebuildsTheIndexAndQuarantinesBadFiles) {
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  const std::string a = bytes_of(10, 1), b = bytes_of(kBlockBytes * 2, 2);
  ASSERT_TRUE(h.put(a).ok());
  ASSERT_TRUE(h.put(b).ok());
  // Leftovers a crash could leave: a temporary, a truncated blob file, a stranger.
  ASSERT_TRUE(h.mem_disk().write("cas/tmp/99", "partial").ok());
  const std::string c = bytes_of(300, 3);
  ASSERT_TRUE(h.mem_disk().write(blob_name("cas", digest_of(c)), c).ok());
  ASSERT_TRUE(h.mem_disk().write("cas/notes.txt", "hi").ok());
  for (const auto& n : h.mem_disk().list("cas/")) ASSERT_TRUE(h.mem_disk().sync(n).ok());
  h.mem_disk().sync_dir();
  auto rep = h.crash_and_open();
  ASSERT_TRUE(rep.ok()) << rep.status();
  EXPECT_EQ(rep->blobs, 2u);
  EXPECT_EQ(rep->temporaries_removed, 1u);
  EXPECT_EQ(rep->quarantined, 1u);
  EXPECT_FALSE(has_prefix(h.files(), "cas/tmp/"));
  EXPECT_EQ(h.get(digest_of(a)).value(), a);
  EXPECT_EQ(h.get(digest_of(b)).value(), b);
  EXPECT_TRUE(absl::IsNotFound(h.get(digest_of(c)).status()));
  EXPECT_EQ(h.store().stats().used_bytes, file_bytes_for(a.size()) + file_bytes_for(b.size()));
  const Event* recovered = nullptr;
  for (const Event& e : h.rt().events()) {
    if (e.kind == "cas_recovered") recovered = &e;
  }
  ASSERT_NE(recovered, nullptr);
  EXPECT_EQ(std::get<int64_t>(recovered->find("blobs")->value), 2);
  h.store().check_invariants();
}

}  // namespace
}  // namespace cairn::cas
