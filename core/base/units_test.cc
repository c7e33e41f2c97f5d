#include "core/base/units.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace cairn {
namespace {

using std::chrono::nanoseconds;

TEST(Units, ParsesDurations) {
  EXPECT_EQ(*parse_duration("250us"), nanoseconds(250'000));
  EXPECT_EQ(*parse_duration("1.5ms"), nanoseconds(1'500'000));
  EXPECT_EQ(*parse_duration("20s"), nanoseconds(20'000'000'000));
  EXPECT_EQ(*parse_duration("2m"), nanoseconds(120'000'000'000));
  EXPECT_EQ(*parse_duration("1h"), nanoseconds(3'600'000'000'000));
  EXPECT_EQ(*parse_duration("0s"), nanoseconds(0));
}

TEST(Units, RejectsBadDurationsWithClearMessages) {
  EXPECT_NE(parse_duration("-1s").status().message().find("negative"), std::string::npos);
  EXPECT_NE(parse_duration("10").status().message().find("needs a unit"), std::string::npos);
  EXPECT_NE(parse_duration("10 parsecs").status().message().find("unknown unit"),
            std::string::npos);
  EXPECT_FALSE(parse_duration("fast").ok());
  EXPECT_FALSE(parse_duration("").ok());
  EXPECT_FALSE(parse_duration("1.2.3s").ok());
}

TEST(Units, ParsesBandwidthsInBitsAndBytes) {
  EXPECT_DOUBLE_EQ(*parse_bandwidth("1Gbps"), 125e6);
  EXPECT_DOUBLE_EQ(*parse_bandwidth("300MBps"), 300e6);
  EXPECT_DOUBLE_EQ(*parse_bandwidth("1MiBps"), 1048576.0);
  EXPECT_FALSE(parse_bandwidth("1Gb").ok());
}

TEST(Units, ParsesSizes) {
  EXPECT_EQ(*parse_size("4KiB"), 4096u);
  EXPECT_EQ(*parse_size("1MB"), 1'000'000u);
  EXPECT_FALSE(parse_size("-1B").ok());
}

TEST(Units, FormatsDurations) {
  EXPECT_EQ(format_duration(nanoseconds(0)), "0s");
  EXPECT_EQ(format_duration(nanoseconds(5'000'000'000)), "5s");
  EXPECT_EQ(format_duration(nanoseconds(1'500'000'000)), "1.5s");
  EXPECT_EQ(format_duration(nanoseconds(250'000)), "250us");
  EXPECT_EQ(format_duration(nanoseconds(3'000'000)), "3ms");
}

RC_GTEST_PROP(Units, DurationsRoundTripExactly, (int64_t ns)) {
  ns = ns < 0 ? -(ns / 2) : ns / 2;  // non-negative, and far from int64 overflow
  ns %= int64_t{1'000'000'000'000};  // up to 1000 s: exact through a double
  auto text = format_duration(nanoseconds(ns));
  auto parsed = parse_duration(text);
  RC_ASSERT(parsed.ok());
  RC_ASSERT(parsed->count() == ns);
}

}  // namespace
}  // namespace cairn
