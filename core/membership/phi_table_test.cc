// The table of docs/teacher-pack.md, "Phi thresholds in seconds": how long a node stays
// silent after its last heartbeat before its watchers suspect it, for common heartbeat
// intervals and phi thresholds. Each cell is PhiAccrual::deadline() minus the last
// heartbeat, after 150 perfectly regular heartbeats (as in simulation without jitter), so
// it equals interval + acceptable_pause + z(phi) * max(measured std dev, min_std_dev).
// Run `membership_test --gtest_filter='PhiTable.*'` to print it; if the detector's
// arithmetic changes, this test fails and the document must change with it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "core/membership/phi_accrual.h"

namespace cairn::membership {
namespace {

constexpr double kPhis[] = {1, 2, 3, 5, 8, 10, 12, 16};
constexpr int kIntervalsMs[] = {100, 250, 500, 1000, 2000};

// Milliseconds of silence before suspicion, by heartbeat interval (rows) and phi (columns).
constexpr int kDefaultStdDev[5][8] = {  // min_std_dev 100 ms, the default
    {228, 333, 409, 526, 661, 736, 803, 922},
    {378, 483, 559, 676, 811, 886, 953, 1072},
    {628, 733, 809, 926, 1061, 1136, 1203, 1322},
    {1128, 1233, 1309, 1426, 1561, 1636, 1703, 1822},
    {2128, 2233, 2309, 2426, 2561, 2636, 2703, 2822}};
constexpr int kTenMsStdDev[5][8] = {  // min_std_dev 10 ms (a tight LAN setting)
    {113, 123, 131, 143, 156, 164, 170, 182},
    {263, 273, 281, 293, 306, 314, 320, 332},
    {513, 523, 531, 543, 556, 564, 570, 582},
    {1013, 1023, 1031, 1043, 1056, 1064, 1070, 1082},
    {2013, 2023, 2031, 2043, 2056, 2064, 2070, 2082}};

int silence_ms(int interval_ms, double phi, int min_std_dev_ms) {
  DetectorOptions o;
  o.phi_threshold = phi;
  o.min_std_dev = std::chrono::milliseconds(min_std_dev_ms);
  o.first_interval = std::chrono::milliseconds(interval_ms);
  PhiAccrual d(o);
  Time last{};
  for (int i = 0; i < 150; ++i) {
    last = Time(std::chrono::milliseconds(int64_t{i} * interval_ms));
    d.heartbeat(last);
  }
  return static_cast<int>(std::lround(to_seconds(d.deadline() - last) * 1000));
}

void expect_table(const int (&table)[5][8], int min_std_dev_ms) {
  std::printf("min_std_dev %d ms: ms of silence before suspicion\n%9s", min_std_dev_ms, "interval");
  for (double phi : kPhis) std::printf(" phi=%-4g", phi);
  std::printf("\n");
  for (int r = 0; r < 5; ++r) {
    std::printf("%7d ms", kIntervalsMs[r]);
    for (int c = 0; c < 8; ++c) {
      const int ms = silence_ms(kIntervalsMs[r], kPhis[c], min_std_dev_ms);
      std::printf(" %8d", ms);
      EXPECT_NEAR(ms, table[r][c], 1) << kIntervalsMs[r] << " ms, phi " << kPhis[c];
    }
    std::printf("\n");
  }
}

TEST(PhiTable, DefaultMinStdDevMatchesTheTeacherPack) { expect_table(kDefaultStdDev, 100); }

TEST(PhiTable, TenMillisecondMinStdDevMatchesTheTeacherPack) { expect_table(kTenMsStdDev, 10); }

}  // namespace
}  // namespace cairn::membership
