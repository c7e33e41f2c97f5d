// Mirror pairs on real nodes: six cairnd processes, each [membership, meta, storage], on
// loopback, with `storage: {mirror_pairs: true}` and Reed-Solomon 2+1, so every shard has
// two copies on the two nodes of a pair (three pairs, one shard of every stripe on each).
// Files are written; then one node of each of two pairs is killed -9 (never the meta
// leader). Every file must read back byte-identical: each shard still has a copy, and the
// coordinators ask the partner of a copy that is gone (counter storage_mirror_reads).
// Without the pairs, two of RS(2,1)'s three shards of some stripes would be on the two
// killed nodes.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "core/placement/mirror.h"
#include "runtime-real/tools/file_blocking_client.h"
#include "tests/real/meta_cluster.h"

namespace cairn::real {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kSeed = 20261128;
constexpr uint64_t kFileBytes = 3 << 20;
constexpr uint64_t kFiles = 12;
constexpr int kNodes = 6;

// The pairs every coordinator forms over the configured members (one zone: 1+2, 3+4, 5+6).
std::vector<placement::NodePair> expected_pairs() {
  placement::Membership members;
  for (int i = 1; i <= kNodes; ++i) members.nodes.push_back({.id = static_cast<NodeId>(i)});
  return placement::suggest_pairs(members);
}

TEST(MirrorKill, OneNodeOfEachOfTwoPairsKilledLosesNoFile) {
  char tmpl[] = "/tmp/cairn-mirror-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  testing::MetaClusterOptions options = testing::rs_cluster_options(CAIRND_PATH, kNodes);
  options.extra_config =
      "storage: {replicas: 2, data_shards: 2, parity_shards: 1, mirror_pairs: true}\n";
  testing::MetaCluster cluster(tmpl, options);
  const std::string down = testing::start_storage_cluster(cluster, 15s);
  ASSERT_EQ(down, "");

  FileBlockingClient client(testing::patient_client_options(cluster, 30s));
  const testing::SeededFiles files{
      .dir = "/m", .seed = kSeed, .first = 0, .count = kFiles, .bytes = kFileBytes};
  const absl::Status put = testing::put_seeded_files(client, files, /*make_dir=*/true);
  ASSERT_TRUE(put.ok()) << put << "; logs in " << tmpl;

  const std::vector<placement::NodePair> pairs = expected_pairs();
  ASSERT_EQ(pairs.size(), 3u);
  const int leader = cluster.leader();
  ASSERT_NE(leader, 0);
  std::vector<int> killed;
  for (size_t p = 0; p < 2; ++p) {
    const auto [a, b] = pairs[p];
    killed.push_back(static_cast<int>(a) == leader ? static_cast<int>(b) : static_cast<int>(a));
  }
  for (int k : killed) ASSERT_TRUE(cluster.kill9(k)) << "n" << k;
  std::printf("killed n%d and n%d (pairs %u+%u and %u+%u; leader n%d)\n", killed[0], killed[1],
              pairs[0].first, pairs[0].second, pairs[1].first, pairs[1].second, leader);

  const absl::Status read = testing::check_seeded_files(client, files);
  EXPECT_TRUE(read.ok()) << read << "; logs in " << tmpl;
  double mirror_reads = 0;
  for (int i = 1; i <= kNodes; ++i) {
    if (cluster.running(i)) mirror_reads += cluster.metrics(i)["cairn_storage_mirror_reads"];
  }
  std::printf("reads served by a partner: %.0f\n", mirror_reads);
  EXPECT_GT(mirror_reads, 0) << "no copy was read from its partner; logs in " << tmpl;
  EXPECT_TRUE(cluster.stop_all()) << "logs in " << tmpl;
  if (!HasFailure()) std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace cairn::real
