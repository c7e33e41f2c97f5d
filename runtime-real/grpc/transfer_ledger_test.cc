// Transfer progress and statistics: bytes, rate and time left from the times given, the
// node's totals, and how many finished transfers are remembered.
#include "runtime-real/grpc/transfer_ledger.h"

#include <gtest/gtest.h>

namespace cairn::real::reapi {
namespace {

cas::Digest sized(uint64_t n) { return cas::Digest(cas::Digest::Hash{}, n); }

TEST(TransferLedger, RateAndTimeLeft) {
  TransferLedger l;
  l.begin("t1", TransferDirection::kUpload, false, sized(1000), 100);
  auto p = l.list("t1");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].time_left_ms(100), -1);  // no rate yet
  l.add("t1", 250);
  p = l.list("t1");
  EXPECT_DOUBLE_EQ(p[0].rate(600), 500.0);  // 250 bytes in 0.5 s
  EXPECT_EQ(p[0].time_left_ms(600), 1500);  // 750 bytes at 500/s
  EXPECT_EQ(l.totals().bytes_uploaded, 250u);
  EXPECT_EQ(l.totals().active, 1u);
  EXPECT_DOUBLE_EQ(l.active_rate(600), 500.0);
  l.add("t1", 750);
  l.end("t1", absl::OkStatus(), 1100);
  p = l.list("t1");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(p[0].finished());
  EXPECT_EQ(p[0].time_left_ms(5000), 0);
  EXPECT_EQ(p[0].elapsed_ms(5000), 1000);  // frozen at the end
  EXPECT_DOUBLE_EQ(p[0].rate(5000), 1000.0);
  EXPECT_EQ(l.totals().done, 1u);
  EXPECT_EQ(l.totals().active, 0u);
  l.add("t1", 5);  // after the end: ignored
  EXPECT_EQ(l.totals().bytes_uploaded, 1000u);
}

TEST(TransferLedger, ActiveFirstThenLatestFinishedWithinTheBound) {
  TransferLedger l(2);
  for (int i = 1; i <= 4; ++i) {
    l.begin("t" + std::to_string(i), TransferDirection::kDownload, true, sized(10), i);
  }
  l.add("t2", 10);
  l.end("t1", absl::DataLossError("x"), 10);
  l.end("t2", absl::OkStatus(), 11);
  l.end("t3", absl::OkStatus(), 12);
  l.token_refused();
  auto p = l.list();
  ASSERT_EQ(p.size(), 3u);  // t4 active, then t3 and t2 (t1 dropped)
  EXPECT_EQ(p[0].id, "t4");
  EXPECT_EQ(p[1].id, "t3");
  EXPECT_EQ(p[2].id, "t2");
  EXPECT_TRUE(l.list("t1").empty());
  EXPECT_EQ(l.totals().failed, 1u);
  EXPECT_EQ(l.totals().done, 2u);
  EXPECT_EQ(l.totals().bytes_downloaded, 10u);
  EXPECT_EQ(l.totals().tokens_refused, 1u);
}

}  // namespace
}  // namespace cairn::real::reapi
