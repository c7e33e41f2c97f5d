#include "core/cas/scrubber.h"

#include <gtest/gtest.h>

#include <set>

#include "core/cas/blob_format.h"
#include "core/cas/shard_store_testing.h"

namespace cairn::cas {
namespace {

using testing::bytes_of;
using testing::digest_of;
using testing::StoreHarness;

class ScrubberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(h_.open().ok());
    for (uint64_t i = 0; i < 6; ++i) {
      blobs_.push_back(bytes_of(i * 100000 + 10, i));
      ASSERT_TRUE(h_.put(blobs_.back()).ok());
    }
  }
  // Runs one pass at `bytes_per_second`; returns its report.
  ScrubReport pass(double bytes_per_second) {
    ScrubberOptions o;
    o.bytes_per_second = bytes_per_second;
    Scrubber s(h_.store(), o, [&](const Digest& d) { rotten_.insert(d); });
    std::optional<ScrubReport> out;
    s.run_pass([&](ScrubReport r) { out = r; });
    h_.cluster().advance(std::chrono::hours(1));
    EXPECT_TRUE(out.has_value());
    return out.value_or(ScrubReport{});
  }
  uint64_t total_bytes() const {
    uint64_t n = 0;
    for (const auto& b : blobs_) n += b.size();
    return n;
  }

  StoreHarness h_;
  std::vector<std::string> blobs_;
  std::set<Digest> rotten_;
};

TEST_F(ScrubberTest, AHealthyStorePassesWholeAndReportsNothing) {
  const ScrubReport r = pass(100e6);
  EXPECT_EQ(r.blobs, blobs_.size());
  EXPECT_EQ(r.bytes, total_bytes());
  EXPECT_EQ(r.rot, 0u);
  EXPECT_TRUE(rotten_.empty());
  EXPECT_EQ(h_.store().stats().blobs, blobs_.size());
}

TEST_F(ScrubberTest, FindsRotAnywhereInABlobFileAndQuarantinesIt) {
  // MemDisk::rot flips a bit anywhere: data, checksum table or footer.
  const std::vector<RotReport> flipped = h_.mem_disk().rot(h_.rt().rng(), 3);
  ASSERT_EQ(flipped.size(), 3u);
  const ScrubReport r = pass(100e6);
  EXPECT_EQ(r.rot, 3u);
  EXPECT_EQ(r.blobs, blobs_.size() - 3);
  std::set<Digest> expected;
  for (const auto& f : flipped) expected.insert(*digest_from_blob_name("cas", f.name));
  EXPECT_EQ(rotten_, expected);
  EXPECT_EQ(h_.rt().metrics().counter("cas_scrub_rot").value(), 3);
  int rot_events = 0;
  for (const Event& e : h_.rt().events()) rot_events += e.kind == "cas_scrub_rot";
  EXPECT_EQ(rot_events, 3);
  for (const auto& b : blobs_) {
    auto got = h_.get(digest_of(b));
    if (expected.contains(digest_of(b))) {
      EXPECT_TRUE(absl::IsNotFound(got.status()));
    } else {
      EXPECT_EQ(got.value(), b);
    }
  }
}

TEST_F(ScrubberTest, RotInTheFooterIsFoundByTheScrubberThoughReadsSkipIt) {
  const Digest d = digest_of(blobs_[2]);
  const std::string name = blob_name("cas", d);
  std::string file = h_.mem_disk().read(name).value();
  file[file.size() - 1] ^= 1;
  ASSERT_TRUE(h_.mem_disk().write(name, file).ok());
  ASSERT_TRUE(h_.mem_disk().sync(name).ok());
  EXPECT_EQ(h_.range(d, 0, 5).value(), blobs_[2].substr(0, 5));
  EXPECT_EQ(pass(100e6).rot, 1u);
  EXPECT_EQ(rotten_, std::set<Digest>{d});
}

TEST_F(ScrubberTest, KeepsToItsBytesPerSecondBudget) {
  ScrubberOptions o;
  o.bytes_per_second = 1e6;
  Scrubber s(h_.store(), o, nullptr);
  std::optional<ScrubReport> out;
  const Time start = h_.cluster().now();
  s.run_pass([&](ScrubReport r) { out = r; });
  const double budget_s = static_cast<double>(total_bytes()) / o.bytes_per_second;
  h_.cluster().advance(from_seconds(budget_s * 0.9));
  EXPECT_FALSE(out.has_value()) << "finished faster than the budget allows";
  h_.cluster().advance(from_seconds(budget_s * 0.2));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->bytes, total_bytes());
  EXPECT_GE(to_seconds(h_.cluster().now() - start), budget_s);
}

TEST_F(ScrubberTest, StartRunsPassesUntilStopped) {
  ScrubberOptions o;
  o.bytes_per_second = 100e6;
  o.rest_between_passes = std::chrono::seconds(10);
  Scrubber s(h_.store(), o, nullptr);
  s.start();
  h_.cluster().advance(std::chrono::seconds(25));
  EXPECT_EQ(h_.rt().metrics().counter("cas_scrub_passes").value(), 3);
  s.stop();
  h_.cluster().advance(std::chrono::seconds(60));
  EXPECT_EQ(h_.rt().metrics().counter("cas_scrub_passes").value(), 3);
  EXPECT_FALSE(s.running());
}

TEST_F(ScrubberTest, ADestroyedScrubberLeavesNoStepBehind) {
  ScrubberOptions o;
  o.bytes_per_second = 1e6;
  bool done = false;
  {
    Scrubber s(h_.store(), o, nullptr);
    s.run_pass([&](ScrubReport) { done = true; });
    h_.cluster().advance(std::chrono::milliseconds(300));
    EXPECT_GT(h_.rt().metrics().counter("cas_scrub_bytes").value(), 0);
  }
  const int64_t read = h_.rt().metrics().counter("cas_scrub_bytes").value();
  h_.cluster().advance(std::chrono::hours(1));
  EXPECT_FALSE(done);
  EXPECT_EQ(h_.rt().metrics().counter("cas_scrub_bytes").value(), read);
}

}  // namespace
}  // namespace cairn::cas
