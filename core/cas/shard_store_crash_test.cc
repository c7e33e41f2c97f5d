// A crash between any two steps of a put or a removal: after recovery the blob is either
// whole and correct or absent, never wrong, and no temporary survives start-up.
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "core/cas/blob_format.h"
#include "core/cas/shard_store.h"
#include "core/cas/shard_store_testing.h"

namespace cairn::cas {
namespace {

using testing::bytes_of;
using testing::digest_of;
using testing::StoreHarness;

constexpr Duration kStep = std::chrono::milliseconds(1);

struct CrashOutcome {
  bool acked = false;    // the operation reported success before the crash
  bool present = false;  // the blob was readable after recovery
};

// Puts `bytes` with every disk operation taking kStep, crashes `steps` steps in (with
// torn, corrupted unsynced tails when `damage`), recovers, and checks the verdict.
CrashOutcome crash_during_put(const std::string& bytes, int steps, bool damage) {
  ShardStoreOptions o;
  o.max_piece_bytes = kBlockBytes;  // several appends: more places to crash
  StoreHarness h(o, /*seed=*/steps + 1);
  EXPECT_TRUE(h.open().ok());
  h.rt().set_disk_latency(kStep);
  CrashOutcome out;
  h.store().put(digest_of(bytes), Payload(bytes),
                [&](absl::StatusOr<PutResult> r) { out.acked = r.ok(); });
  h.cluster().advance(steps * kStep);
  if (damage) h.mem_disk().crash(h.rt().rng(), CrashDamage{1.0, 1.0});
  h.rt().set_disk_latency(Duration(0));
  auto rep = h.crash_and_open();
  EXPECT_TRUE(rep.ok()) << rep.status();
  for (const auto& name : h.files()) {
    EXPECT_FALSE(absl::StartsWith(name, "cas/tmp/")) << name << " after step " << steps;
  }
  auto got = h.get(digest_of(bytes));
  if (got.ok()) {
    EXPECT_EQ(*got, bytes) << "wrong bytes after a crash at step " << steps;
    out.present = true;
  } else {
    EXPECT_TRUE(absl::IsNotFound(got.status())) << got.status() << " at step " << steps;
  }
  if (out.acked) {
    EXPECT_TRUE(out.present) << "an acknowledged put was lost at step " << steps;
  }
  h.store().check_invariants();
  return out;
}

TEST(ShardStoreCrash, ACrashAtEveryStepOfAPutLeavesTheBlobWholeOrAbsent) {
  const std::string bytes = bytes_of(3 * kBlockBytes + 17, 21);
  for (bool damage : {false, true}) {
    int absent = 0, present = 0;
    int step = 0;
    for (; step < 40; ++step) {
      const CrashOutcome o = crash_during_put(bytes, step, damage);
      (o.present ? present : absent) += 1;
      if (o.acked) break;
    }
    EXPECT_LT(step, 40) << "the put never completed";
    // Both outcomes were reached: the crash points span the whole put.
    EXPECT_GT(absent, 3);
    EXPECT_GE(present, 1);
  }
}

TEST(ShardStoreCrash, ACrashDuringRemovalLeavesTheBlobWholeOrAbsent) {
  const std::string bytes = bytes_of(kBlockBytes + 3, 22);
  const Digest d = digest_of(bytes);
  for (int step = 0; step < 4; ++step) {
    StoreHarness h;
    ASSERT_TRUE(h.open().ok());
    ASSERT_TRUE(h.put(bytes).ok());
    h.rt().set_disk_latency(kStep);
    bool acked = false;
    h.store().remove(d, [&](absl::Status s) { acked = s.ok(); });
    h.cluster().advance(step * kStep);
    h.rt().set_disk_latency(Duration(0));
    ASSERT_TRUE(h.crash_and_open().ok());
    auto got = h.get(d);
    if (got.ok()) {
      EXPECT_FALSE(acked) << "an acknowledged removal came back at step " << step;
      EXPECT_EQ(*got, bytes);
    } else {
      EXPECT_TRUE(absl::IsNotFound(got.status())) << got.status();
    }
  }
}

TEST(ShardStoreCrash, AnAcknowledgedPutSurvivesACrash) {
  StoreHarness h;
  ASSERT_TRUE(h.open().ok());
  const std::string a = bytes_of(100, 1), b = bytes_of(2 * kBlockBytes, 2);
  ASSERT_TRUE(h.put(a).ok());
  ASSERT_TRUE(h.put(b).ok());
  auto rep = h.crash_and_open();
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->blobs, 2u);
  EXPECT_EQ(h.get(digest_of(a)).value(), a);
  EXPECT_EQ(h.get(digest_of(b)).value(), b);
}

}  // namespace
}  // namespace cairn::cas
