#include "core/storage/stream.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace cairn::storage {
namespace {

using Verdict = CreditReceiver::Verdict;

TEST(CreditSender, SendsFramesWithinTheWindowOnly) {
  CreditSender s(10'000, 3000, 1000);
  for (uint64_t i = 0; i < 3; ++i) {
    auto f = s.next();
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->offset, i * 1000);
    EXPECT_EQ(f->length, 1000u);
  }
  EXPECT_FALSE(s.next().has_value());  // the window is full
  EXPECT_EQ(s.outstanding_bytes(), 3000u);
  ASSERT_TRUE(s.on_ack(1500).ok());
  auto f = s.next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->length, 1000u);
  f = s.next();  // half a frame of credit left
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->length, 500u);
  EXPECT_EQ(s.outstanding_bytes(), 3000u);
  EXPECT_FALSE(s.next().has_value());
}

TEST(CreditSender, StaleAcksAreIgnoredAndAcksBeyondTheSentBytesRefused) {
  CreditSender s(2500, 10'000, 1000);
  while (s.next()) {
  }
  EXPECT_TRUE(s.all_sent());
  EXPECT_EQ(s.sent_bytes(), 2500u);
  ASSERT_TRUE(s.on_ack(2000).ok());
  ASSERT_TRUE(s.on_ack(1000).ok());
  EXPECT_EQ(s.acked_bytes(), 2000u);
  EXPECT_TRUE(absl::IsInvalidArgument(s.on_ack(2501)));
  EXPECT_EQ(s.acked_bytes(), 2000u);
  ASSERT_TRUE(s.on_ack(2500).ok());
  EXPECT_TRUE(s.all_acked());
}

TEST(CreditSender, AnEmptyTransferSendsNothing) {
  CreditSender s(0, 10, 10);
  EXPECT_FALSE(s.next().has_value());
  EXPECT_TRUE(s.all_sent());
  EXPECT_TRUE(s.all_acked());
}

TEST(CreditReceiver, AcceptsInOrderFramesWithinCredit) {
  CreditReceiver r(5000, 2000);
  EXPECT_EQ(r.on_frame(0, 1000).value(), Verdict::kAccept);
  EXPECT_EQ(r.on_frame(1000, 1000).value(), Verdict::kAccept);
  EXPECT_EQ(r.buffered_bytes(), 2000u);
  EXPECT_TRUE(absl::IsInvalidArgument(r.on_frame(2000, 1).status()));  // no credit left
  EXPECT_EQ(r.consume(1000), 1000u);
  EXPECT_EQ(r.on_frame(2000, 1000).value(), Verdict::kAccept);
  EXPECT_EQ(r.consume(2000), 3000u);
  EXPECT_EQ(r.on_frame(3000, 2000).value(), Verdict::kAccept);
  EXPECT_EQ(r.consume(2000), 5000u);
  EXPECT_TRUE(r.complete());
}

TEST(CreditReceiver, RefusesBadFramesAndStaysUnchanged) {
  CreditReceiver r(5000, 4000);
  ASSERT_EQ(r.on_frame(0, 1000).value(), Verdict::kAccept);
  struct Case {
    uint64_t offset, length;
    const char* says;
  } cases[] = {{2000, 100, "out of order"},
               {500, 1000, "overlaps"},
               {1000, 0, "empty"},
               {4500, 1000, "past the declared size"},
               {1000, 4000, "exceeds the credit"},
               {UINT64_MAX, 2, "past the declared size"}};
  for (const Case& c : cases) {
    auto v = r.on_frame(c.offset, c.length);
    ASSERT_FALSE(v.ok()) << c.offset;
    EXPECT_TRUE(absl::IsInvalidArgument(v.status()));
    EXPECT_TRUE(absl::StrContains(v.status().message(), c.says)) << v.status();
    EXPECT_EQ(r.received_bytes(), 1000u);
  }
  EXPECT_EQ(r.on_frame(0, 1000).value(), Verdict::kDuplicate);
  EXPECT_EQ(r.on_frame(200, 300).value(), Verdict::kDuplicate);
  EXPECT_EQ(r.received_bytes(), 1000u);
}

TEST(CreditReceiver, SaysWhichEarlyFramesToHold) {
  CreditReceiver r(5000, 4000);
  ASSERT_EQ(r.on_frame(0, 1000).value(), Verdict::kAccept);
  EXPECT_TRUE(r.ahead(2000, 1000));   // a gap before it, within credit
  EXPECT_TRUE(r.ahead(3000, 1000));   // ends exactly at the credit
  EXPECT_FALSE(r.ahead(3500, 1000));  // beyond the credit
  EXPECT_FALSE(r.ahead(1000, 500));   // the next frame is not early
  EXPECT_FALSE(r.ahead(500, 100));    // a repeat is not early
  EXPECT_FALSE(r.ahead(4500, 1000));  // past the declared size
  EXPECT_FALSE(r.ahead(2000, 0));
  EXPECT_FALSE(r.ahead(UINT64_MAX, 2));
}

TEST(CreditFlow, SenderAndReceiverAgreeOverAWholeTransfer) {
  for (uint64_t total : {0u, 1u, 999u, 10'000u}) {
    CreditSender s(total, 2500, 1000);
    CreditReceiver r(total, 2500);
    while (!r.complete()) {
      auto f = s.next();
      ASSERT_TRUE(f.has_value());
      ASSERT_EQ(r.on_frame(f->offset, f->length).value(), Verdict::kAccept);
      ASSERT_TRUE(s.on_ack(r.consume(f->length)).ok());
      ASSERT_LE(s.outstanding_bytes(), 2500u);
    }
    EXPECT_TRUE(s.all_acked());
    EXPECT_EQ(r.consumed_bytes(), total);
  }
}

}  // namespace
}  // namespace cairn::storage
