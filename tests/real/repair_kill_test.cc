// Self-healing on real nodes: five cairnd processes, each with [membership, meta, storage]
// as `cairnd dev` runs them, on loopback, Reed-Solomon 3+2 (one shard of every stripe on
// every node). Files are written; then a node that does not lead is killed -9, its whole
// data directory is deleted, and it is started again, empty. Afterwards:
//   - the meta leader's audit finds the shards the node lost (repair_missing) and repair
//     rebuilds every one of them in place: the leader's count of lost shards returns to 0;
//   - the stripes are whole again, proven by killing two other nodes for good: every file
//     still reads back byte-identical from the three nodes left, which needs the rebuilt
//     node's shards (three of five per stripe).
// It prints the time from the kill to detection and to full re-protection, and the bytes
// rebuilt. CAIRN_REPAIR_MIB sets how much is written (default 96; the measurement in
// docs/performance.md uses 1024).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/cas/digest.h"
#include "runtime-real/tools/file_blocking_client.h"
#include "tests/real/meta_cluster.h"
#include "tests/real/process.h"
#include "tests/real/seeded_source.h"

namespace cairn::real {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::wait_until;

constexpr uint64_t kSeed = 20261127;
constexpr uint64_t kMiB = 1 << 20;
constexpr uint64_t kFileBytes = 32 * kMiB;
constexpr int kNodes = 5;

uint64_t total_mib() {
  uint64_t mib = 96;
  if (const char* v = std::getenv("CAIRN_REPAIR_MIB"); v != nullptr) {
    EXPECT_TRUE(absl::SimpleAtoi(v, &mib) && mib >= 32) << "CAIRN_REPAIR_MIB=" << v;
  }
  return std::max<uint64_t>(mib, 32);
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

TEST(RepairKill, ANodeBackWithAnEmptyDiskIsRebuiltInPlace) {
  char tmpl[] = "/tmp/cairn-repair-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  testing::MetaCluster cluster(tmpl, testing::rs_cluster_options(CAIRND_PATH, kNodes));
  const std::string down = testing::start_storage_cluster(cluster, 15s);
  ASSERT_EQ(down, "");

  FileBlockingClientOptions co = testing::patient_client_options(cluster, 60s);
  co.file.window = 4;
  FileBlockingClient client(co);
  const testing::SeededFiles files{.dir = "/r",
                                   .seed = kSeed,
                                   .first = 0,
                                   .count = total_mib() * kMiB / kFileBytes,
                                   .bytes = kFileBytes};
  const auto written = Clock::now();
  const absl::Status put = testing::put_seeded_files(client, files, /*make_dir=*/true);
  ASSERT_TRUE(put.ok()) << put << "; logs in " << tmpl;
  std::printf("wrote %llu MiB in %.1f s\n",
              static_cast<unsigned long long>(files.count * kFileBytes / kMiB),
              seconds_since(written));

  // Every layout is old enough to be audited (audit_min_age) once each node has had two
  // passes since the writes.
  int leader = cluster.leader();
  ASSERT_NE(leader, 0);
  const double passes = cluster.metrics(leader)["cairn_repair_audit_passes"];
  ASSERT_TRUE(wait_until(
      120s,
      [&] { return cluster.metrics(leader)["cairn_repair_audit_passes"] >= passes + 2 * kNodes; }))
      << "no audit passes; logs in " << tmpl;

  // A node that does not lead loses its disk: killed, data directory deleted, restarted.
  leader = cluster.leader();
  ASSERT_NE(leader, 0);
  const int victim = leader == kNodes ? kNodes - 1 : kNodes;
  const double missing_before = cluster.metrics(leader)["cairn_repair_audit_missing"];
  const double bytes_before = cluster.metrics(leader)["cairn_repair_bytes_done"];
  ASSERT_TRUE(cluster.kill9(victim));
  const auto killed = Clock::now();
  std::filesystem::remove_all(absl::StrCat(tmpl, "/n", victim));
  cluster.start(victim);

  // Detection: the audit reports the victim's shards missing. Re-protection: from then on
  // the leader counts no lost shard and no task, as a later audit pass of the victim that
  // finds nothing missing confirms.
  const std::string clean_pass =
      absl::StrCat("kind=repair_audit_pass node=n", leader, " storage=", victim);
  auto clean_passes = [&] {
    size_t n = 0;
    for (const auto& line : cluster.log_lines(leader, clean_pass)) {
      n += line.find(" missing=0") != std::string::npos ? 1 : 0;
    }
    return n;
  };
  const size_t clean_before = clean_passes();
  double detected = -1, whole = -1;
  size_t clean_at_whole = 0;
  const bool healed = wait_until(600s, [&] {
    auto m = cluster.metrics(leader);
    if (detected < 0 && m["cairn_repair_audit_missing"] > missing_before) {
      detected = seconds_since(killed);
    }
    const bool idle = m["cairn_repair_lost_shards"] == 0 && m["cairn_repair_tasks"] == 0;
    if (detected < 0 || !idle) {
      whole = -1;
      return false;
    }
    if (whole < 0) {
      whole = seconds_since(killed);
      clean_at_whole = std::max(clean_passes(), clean_before);
    }
    return clean_passes() > clean_at_whole;
  });
  ASSERT_TRUE(healed) << "repair did not finish; logs in " << tmpl;
  auto m = cluster.metrics(leader);
  const double rebuilt = m["cairn_repair_bytes_done"] - bytes_before;
  const double missing = m["cairn_repair_audit_missing"] - missing_before;
  std::printf(
      "n%d lost %.0f shards (%.1f MiB); detected after %.1f s, re-protected %.1f s after the "
      "kill; rebuilt at %.1f MiB/s\n",
      victim, missing, rebuilt / kMiB, detected, whole, rebuilt / kMiB / (whole - detected));
  EXPECT_GT(missing, 0);
  EXPECT_GE(rebuilt, static_cast<double>(files.count * kFileBytes) / 3 * 0.9);

  // Two other nodes go for good: three of five shards left per stripe, the victim's among them.
  int killed_more = 0;
  for (int i = 1; i <= kNodes && killed_more < 2; ++i) {
    if (i == leader || i == victim) continue;
    ASSERT_TRUE(cluster.kill9(i));
    ++killed_more;
  }
  const absl::Status read = testing::check_seeded_files(client, files);
  EXPECT_TRUE(read.ok()) << read << "; logs in " << tmpl;
  EXPECT_TRUE(cluster.stop_all()) << "logs in " << tmpl;
  if (!HasFailure()) std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace cairn::real
