// Draining a storage node of a real cluster with `cairn node drain`: six cairnd processes,
// each [membership, meta, storage], on loopback, Reed-Solomon 3+2 (five of six nodes per
// stripe). Files are written; `cairn node drain 6` registers n6 draining, and `cairn node
// list` must show 0 shards on n6 within 30 s (repair moved them all). Then n6 and one more
// node are killed -9 and every file reads back byte-identical, which needs the moved shards
// (three of the four left per stripe). Files written after the drain place nothing on n6:
// the leader told every coordinator the registry's placement. An id that is no storage
// node is refused (exit 3).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/cas/digest.h"
#include "runtime-real/tools/file_blocking_client.h"
#include "tests/real/meta_cluster.h"
#include "tests/real/process.h"
#include "tests/real/seeded_source.h"

namespace cairn::real {
namespace {

using namespace std::chrono_literals;
using testing::wait_until;

constexpr uint64_t kSeed = 20261127;
constexpr uint64_t kFileBytes = 3 << 20;
constexpr uint64_t kFiles = 20;
constexpr uint64_t kLaterFiles = 8;  // written once n6 is drained
constexpr int kNodes = 6;
constexpr int kDrained = 6;

std::string peers(const testing::MetaCluster& c) {
  std::vector<std::string> out;
  for (const HostPort& hp : c.client_peers()) out.push_back(absl::StrCat(hp.host, ":", hp.port));
  return absl::StrJoin(out, ",");
}

// The shards `cairn node list --json` counts on `node`; -1 if the CLI failed.
int64_t shards_on(const testing::MetaCluster& c, int node) {
  int code = -1;
  const std::string out = testing::run_capture(
      {CAIRN_CLI_PATH, "node", "list", "--json", "--peer", peers(c), "--timeout", "5s"}, &code);
  if (code != 0) return -1;
  const size_t at = out.find(absl::StrCat("{\"id\":", node, ","));
  if (at == std::string::npos) return 0;  // not registered and no shard on it
  const size_t s = out.find("\"shards\":", at);
  int64_t n = -1;
  if (s == std::string::npos) return -1;
  const size_t from = s + 9;
  const size_t to = out.find_first_of(",}", from);
  return absl::SimpleAtoi(out.substr(from, to - from), &n) ? n : -1;
}

TEST(DrainCli, ADrainedNodeCanBeKilledWithoutLosingAFile) {
  char tmpl[] = "/tmp/cairn-drain-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  testing::MetaCluster cluster(tmpl, testing::rs_cluster_options(CAIRND_PATH, kNodes));
  const std::string down = testing::start_storage_cluster(cluster, 15s);
  ASSERT_EQ(down, "");

  FileBlockingClient client(testing::patient_client_options(cluster, 30s));
  const testing::SeededFiles files{
      .dir = "/d", .seed = kSeed, .first = 0, .count = kFiles, .bytes = kFileBytes};
  const absl::Status put = testing::put_seeded_files(client, files, /*make_dir=*/true);
  ASSERT_TRUE(put.ok()) << put << "; logs in " << tmpl;
  const int64_t before = shards_on(cluster, kDrained);
  ASSERT_GT(before, 0) << "n" << kDrained << " holds no shard to drain";

  int code = -1;
  testing::run_capture({CAIRN_CLI_PATH, "node", "drain", "9", "--peer", peers(cluster)}, &code);
  EXPECT_EQ(code, 3) << "draining a node that does not exist";
  const std::string said = testing::run_capture(
      {CAIRN_CLI_PATH, "node", "drain", std::to_string(kDrained), "--peer", peers(cluster)}, &code);
  ASSERT_EQ(code, 0) << said;
  EXPECT_NE(said.find("draining"), std::string::npos) << said;

  int64_t left = before;
  const auto asked = std::chrono::steady_clock::now();
  const bool drained = wait_until(30s, [&] {
    left = shards_on(cluster, kDrained);
    return left == 0;
  });
  ASSERT_TRUE(drained) << "n" << kDrained << " still holds " << left << " of " << before
                       << " shards 30 s after the drain; logs in " << tmpl;
  std::printf("n%d drained of %lld shards in %.1f s\n", kDrained, static_cast<long long>(before),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count());

  const std::string listed =
      testing::run_capture({CAIRN_CLI_PATH, "node", "list", "--peer", peers(cluster)}, &code);
  EXPECT_EQ(code, 0) << listed;
  EXPECT_NE(listed.find(absl::StrCat("\n", kDrained, "   -           draining")), std::string::npos)
      << listed;
  std::fputs(listed.c_str(), stdout);

  for (uint64_t i = kFiles; i < kFiles + kLaterFiles; ++i) {
    const absl::Status later = testing::put_seeded_files(
        client, {.dir = "/d", .seed = kSeed, .first = i, .count = 1, .bytes = kFileBytes}, false);
    ASSERT_TRUE(later.ok()) << later << "; logs in " << tmpl;
    EXPECT_EQ(shards_on(cluster, kDrained), 0)
        << "a write after the drain placed a shard on n" << kDrained << "; logs in " << tmpl;
  }

  ASSERT_TRUE(cluster.kill9(kDrained));
  const int leader = cluster.leader();
  const int other = leader == 1 ? 2 : 1;
  ASSERT_TRUE(cluster.kill9(other));
  const absl::Status read = testing::check_seeded_files(
      client,
      {.dir = "/d", .seed = kSeed, .first = 0, .count = kFiles + kLaterFiles, .bytes = kFileBytes});
  EXPECT_TRUE(read.ok()) << read << "; logs in " << tmpl;
  EXPECT_TRUE(cluster.stop_all()) << "logs in " << tmpl;
  if (!HasFailure()) std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace cairn::real
