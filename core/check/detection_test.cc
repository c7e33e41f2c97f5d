#include "core/check/detection.h"

#include <gtest/gtest.h>

namespace cairn::check {
namespace {

using membership::State;
using std::chrono::seconds;

Time at(int64_t s) { return Time(seconds(s)); }

TEST(DetectionChecker, DetectionWithinBoundPassesAndLateFails) {
  GroundTruth truth({1, 2, 3});
  truth.crash(3, at(10));
  std::vector<Observation> obs{
      {at(12), 1, 3, State::kSuspect}, {at(13), 1, 3, State::kDead}, {at(19), 2, 3, State::kDead}};
  DetectionChecker c(truth, obs, at(60));
  Verdict ok = c.detection_time(seconds(10));
  EXPECT_TRUE(ok.pass) << ok.detail;
  EXPECT_DOUBLE_EQ(ok.figures["max_s"], 9.0);
  Verdict late = c.detection_time(seconds(5));
  EXPECT_FALSE(late.pass);
  EXPECT_NE(late.detail.find("n2 did not see n3 dead"), std::string::npos) << late.detail;
}

TEST(DetectionChecker, NoCrashMeansNotJudged) {
  GroundTruth truth({1, 2});
  DetectionChecker c(truth, {}, at(60));
  EXPECT_FALSE(c.detection_time(seconds(5)).judged);
  EXPECT_TRUE(c.detection_time(seconds(5)).pass);
}

TEST(DetectionChecker, FalseSuspicionsExcuseTroubledNodes) {
  GroundTruth truth({1, 2, 3});
  truth.disturb(2, at(20), at(30));                               // partitioned
  std::vector<Observation> obs{{at(5), 1, 3, State::kSuspect},    // false
                               {at(22), 1, 2, State::kSuspect},   // excused: n2 cut off
                               {at(45), 1, 2, State::kSuspect}};  // false: window is 10 s
  DetectionChecker c(truth, obs, at(60));
  Verdict v = c.false_suspicions(0, seconds(10));
  EXPECT_FALSE(v.pass);
  EXPECT_EQ(v.figures["false"], 2);
  EXPECT_TRUE(c.false_suspicions(2, seconds(10)).pass);
  EXPECT_TRUE(c.false_deaths(0, seconds(10)).pass);
}

TEST(DetectionChecker, RecoveryAndConvergence) {
  GroundTruth truth({1, 2, 3});
  truth.crash(2, at(10));
  truth.restart(2, at(30));
  std::vector<Observation> obs{{at(14), 1, 2, State::kDead},
                               {at(14), 3, 2, State::kDead},
                               {at(32), 1, 2, State::kAlive},
                               {at(33), 3, 2, State::kAlive}};
  DetectionChecker c(truth, obs, at(60));
  EXPECT_TRUE(c.recovery_time(seconds(5)).pass);
  EXPECT_FALSE(c.recovery_time(seconds(2)).pass);
  EXPECT_TRUE(c.converged(seconds(20)).pass);
  EXPECT_FALSE(c.converged(seconds(40)).judged);
  // n3 never learns n2 is back: not converged.
  obs.pop_back();
  DetectionChecker stuck(truth, obs, at(60));
  EXPECT_FALSE(stuck.converged(seconds(20)).pass);
}

TEST(DetectionChecker, HealTimeCoversEveryPair) {
  GroundTruth truth({1, 2});
  truth.disturb(1, at(10), at(20));
  truth.disturb(2, at(10), at(20));
  truth.heal(at(20));
  std::vector<Observation> obs{{at(15), 1, 2, State::kDead},
                               {at(15), 2, 1, State::kDead},
                               {at(21), 1, 2, State::kAlive},
                               {at(29), 2, 1, State::kAlive}};
  DetectionChecker c(truth, obs, at(60));
  EXPECT_TRUE(c.heal_time(seconds(10)).pass);
  EXPECT_FALSE(c.heal_time(seconds(5)).pass);
}

}  // namespace
}  // namespace cairn::check
