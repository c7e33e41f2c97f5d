// DiskScheduler: which operations run together, which wait, and in what order they start.
#include "runtime-real/host/disk_scheduler.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace cairn::real {
namespace {

using Kind = DiskScheduler::Kind;

// Records starts; the test finishes operations by hand.
struct Recorder {
  explicit Recorder(size_t limit) : s(limit) {}
  DiskScheduler::OpId issue(Kind kind, std::vector<std::string> names = {}) {
    return s.issue(kind, std::move(names),
                   [this](DiskScheduler::OpId id) { started.push_back(id); });
  }
  DiskScheduler s;
  std::vector<DiskScheduler::OpId> started;
};

using Ids = std::vector<DiskScheduler::OpId>;

TEST(DiskScheduler, ChangesOfOneNameRunOneAtATimeInIssueOrder) {
  Recorder r(8);
  const auto a1 = r.issue(Kind::kChange, {"log"});
  const auto other = r.issue(Kind::kChange, {"x"});
  const auto a2 = r.issue(Kind::kChange, {"log"});
  const auto a3 = r.issue(Kind::kChange, {"log"});
  EXPECT_EQ(r.started, (Ids{a1, other}));
  r.s.finish(a1);
  EXPECT_EQ(r.started, (Ids{a1, other, a2}));
  r.s.finish(a2);
  r.s.finish(other);
  EXPECT_EQ(r.started, (Ids{a1, other, a2, a3}));
  r.s.finish(a3);
  EXPECT_EQ(r.s.running(), 0u);
  EXPECT_EQ(r.s.waiting(), 0u);
}

TEST(DiskScheduler, ReadsOfOneNameOverlapButNotWithItsChanges) {
  Recorder r(8);
  const auto r1 = r.issue(Kind::kRead, {"f"});
  const auto r2 = r.issue(Kind::kRead, {"f"});
  const auto w = r.issue(Kind::kChange, {"f"});
  const auto r3 = r.issue(Kind::kRead, {"f"});
  EXPECT_EQ(r.started, (Ids{r1, r2}));
  r.s.finish(r2);
  EXPECT_EQ(r.started, (Ids{r1, r2}));  // the change waits for every earlier read
  r.s.finish(r1);
  EXPECT_EQ(r.started, (Ids{r1, r2, w}));
  r.s.finish(w);
  EXPECT_EQ(r.started, (Ids{r1, r2, w, r3}));  // the later read saw the change
}

TEST(DiskScheduler, RenameWaitsForBothNames) {
  Recorder r(8);
  const auto a = r.issue(Kind::kChange, {"tmp"});
  const auto b = r.issue(Kind::kRead, {"final"});
  const auto mv = r.issue(Kind::kChange, {"tmp", "final"});
  const auto after = r.issue(Kind::kRead, {"final"});
  r.s.finish(a);
  EXPECT_EQ(r.started, (Ids{a, b}));
  r.s.finish(b);
  EXPECT_EQ(r.started, (Ids{a, b, mv}));
  r.s.finish(mv);
  EXPECT_EQ(r.started, (Ids{a, b, mv, after}));
  const auto same = r.issue(Kind::kChange, {"z", "z"});  // rename onto itself: one name
  EXPECT_EQ(r.started.back(), same);
}

TEST(DiskScheduler, ListSeesEarlierChangesAndHoldsBackLaterOnes) {
  Recorder r(8);
  const auto c1 = r.issue(Kind::kChange, {"a"});
  const auto c2 = r.issue(Kind::kChange, {"b"});
  const auto read = r.issue(Kind::kRead, {"c"});
  const auto list = r.issue(Kind::kReadAll);
  const auto c3 = r.issue(Kind::kChange, {"d"});
  const auto read2 = r.issue(Kind::kRead, {"e"});
  const auto space = r.issue(Kind::kFree);
  EXPECT_EQ(r.started, (Ids{c1, c2, read, read2, space}));
  r.s.finish(c1);
  EXPECT_EQ(r.started.size(), 5u);
  r.s.finish(c2);
  EXPECT_EQ(r.started.back(), list);
  r.s.finish(list);
  EXPECT_EQ(r.started.back(), c3);
}

TEST(DiskScheduler, SyncDirWaitsForEarlierChangesOnly) {
  Recorder r(8);
  const auto mv = r.issue(Kind::kChange, {"a", "b"});
  const auto sync = r.issue(Kind::kSyncDir);
  const auto later = r.issue(Kind::kChange, {"c"});
  const auto later_same = r.issue(Kind::kChange, {"a"});
  EXPECT_EQ(r.started, (Ids{mv, later}));
  r.s.finish(mv);
  EXPECT_EQ(r.started, (Ids{mv, later, sync, later_same}));
}

TEST(DiskScheduler, AtMostLimitRunAndTheEarliestFreeStartsFirst) {
  Recorder r(2);
  Ids ids;
  for (int i = 0; i < 5; ++i) ids.push_back(r.issue(Kind::kRead, {std::to_string(i)}));
  EXPECT_EQ(r.started, (Ids{ids[0], ids[1]}));
  EXPECT_EQ(r.s.waiting(), 3u);
  r.s.finish(ids[1]);
  r.s.finish(ids[0]);
  EXPECT_EQ(r.started, (Ids{ids[0], ids[1], ids[2], ids[3]}));
  EXPECT_EQ(r.s.max_running(), 2u);
}

// Random operations finished in random order (pinned seed): an operation starts only once
// every earlier one it conflicts with has finished, at most `limit` run, and all of them
// run in the end (nothing is left waiting).
TEST(DiskScheduler, RandomWorkloadsKeepEveryConflictInOrder) {
  std::mt19937 rng(20261126);
  struct Info {
    Kind kind;
    std::vector<std::string> names;
  };
  auto conflict = [](const Info& early, const Info& late) {
    auto changes = [](const Info& i) { return i.kind == Kind::kChange; };
    if (early.kind == Kind::kFree || late.kind == Kind::kFree) return false;
    if (late.kind == Kind::kSyncDir) return changes(early);
    if (early.kind == Kind::kSyncDir) return false;
    if (early.kind == Kind::kReadAll) return changes(late);
    if (late.kind == Kind::kReadAll) return changes(early);
    if (!changes(early) && !changes(late)) return false;
    for (const auto& a : early.names) {
      for (const auto& b : late.names) {
        if (a == b) return true;
      }
    }
    return false;
  };
  for (int round = 0; round < 50; ++round) {
    const size_t limit = 1 + rng() % 6;
    DiskScheduler s(limit);
    std::vector<Info> info(1);  // by id; id 0 unused
    std::vector<DiskScheduler::OpId> running;
    std::vector<bool> finished(1), started(1);
    int issued = 0;
    while (issued < 200 || !running.empty()) {
      if (issued < 200 && (running.empty() || rng() % 3 != 0)) {
        Info i{static_cast<Kind>(rng() % 5), {}};
        if (i.kind == Kind::kRead || i.kind == Kind::kChange) {
          const int n = i.kind == Kind::kChange && rng() % 4 == 0 ? 2 : 1;
          for (int k = 0; k < n; ++k) i.names.push_back(std::to_string(rng() % 6));
        }
        info.push_back(i);
        finished.push_back(false);
        started.push_back(false);
        ++issued;
        s.issue(i.kind, i.names, [&](DiskScheduler::OpId id) {
          for (DiskScheduler::OpId other = 1; other < id; ++other) {
            // Every earlier conflicting operation has finished.
            if (conflict(info[other], info[id])) {
              ASSERT_TRUE(finished[other]) << other << " before " << id;
            }
          }
          started[id] = true;
          running.push_back(id);
          ASSERT_LE(running.size(), limit);
        });
      } else if (!running.empty()) {
        const size_t k = rng() % running.size();
        const DiskScheduler::OpId id = running[k];
        running.erase(running.begin() + static_cast<long>(k));
        finished[id] = true;
        s.finish(id);
      }
    }
    EXPECT_EQ(s.waiting(), 0u);
    for (size_t id = 1; id < started.size(); ++id) EXPECT_TRUE(started[id]) << id;
  }
}

}  // namespace
}  // namespace cairn::real
