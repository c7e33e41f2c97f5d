#include "core/membership/phi_accrual.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace cairn::membership {
namespace {

using std::chrono::milliseconds;

Time at_ms(int64_t ms) { return Time(milliseconds(ms)); }

TEST(PhiAccrual, PhiGrowsWithSilence) {
  PhiAccrual d(DetectorOptions{});
  for (int i = 0; i <= 10; ++i) d.heartbeat(at_ms(i * 1000));
  const double early = d.phi(at_ms(10'500));
  const double late = d.phi(at_ms(11'500));
  const double later = d.phi(at_ms(13'000));
  EXPECT_LT(early, 1.0);
  EXPECT_GT(late, early);
  EXPECT_GT(later, late);
  EXPECT_GT(later, 8.0);
}

TEST(PhiAccrual, DeadlineIsWherePhiCrossesThreshold) {
  DetectorOptions opts;
  opts.phi_threshold = 8;
  PhiAccrual d(opts);
  for (int i = 0; i <= 20; ++i) d.heartbeat(at_ms(i * 1000));
  const Time deadline = d.deadline();
  EXPECT_LT(d.phi(deadline - milliseconds(1)), 8.0);
  EXPECT_GE(d.phi(deadline + milliseconds(1)), 8.0);
  // Regular 1 s beats with min_std_dev 100 ms: z(8) ~ 5.6, so about 1.56 s of silence.
  EXPECT_NEAR(to_seconds(deadline - at_ms(20'000)), 1.56, 0.02);
}

TEST(PhiAccrual, AcceptablePauseDelaysSuspicion) {
  DetectorOptions a, b;
  b.acceptable_pause = milliseconds(500);
  PhiAccrual da(a), db(b);
  for (int i = 0; i <= 5; ++i) {
    da.heartbeat(at_ms(i * 1000));
    db.heartbeat(at_ms(i * 1000));
  }
  EXPECT_EQ(db.deadline() - da.deadline(), milliseconds(500));
}

TEST(PhiAccrual, JitterWidensTheDistribution) {
  PhiAccrual regular(DetectorOptions{}), jittery(DetectorOptions{});
  int64_t t = 0;
  for (int i = 0; i < 50; ++i) {
    regular.heartbeat(at_ms(i * 1000));
    t += (i % 2 == 0) ? 600 : 1400;
    jittery.heartbeat(at_ms(t));
  }
  EXPECT_GT(jittery.std_dev_s(), regular.std_dev_s());
}

TEST(PhiAccrual, ZAndPhiAreInverse) {
  for (double phi : {0.5, 1.0, 3.0, 8.0, 12.0, 50.0, 200.0}) {
    EXPECT_NEAR(PhiAccrual::phi_for_z(PhiAccrual::z_for_phi(phi)), phi, 1e-6 * phi);
  }
}

RC_GTEST_PROP(PhiAccrual, PhiIsMonotoneInSilence, (std::vector<uint16_t> gaps_ms)) {
  PhiAccrual d(DetectorOptions{});
  int64_t t = 0;
  d.heartbeat(at_ms(0));
  for (uint16_t g : gaps_ms) {
    t += 1 + g % 5000;
    d.heartbeat(at_ms(t));
  }
  double last = -1;
  for (int64_t dt = 0; dt < 20'000; dt += 250) {
    const double phi = d.phi(at_ms(t + dt));
    RC_ASSERT(phi >= last);
    RC_ASSERT(std::isfinite(phi));
    last = phi;
  }
}

}  // namespace
}  // namespace cairn::membership
