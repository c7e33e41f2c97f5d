// The file store on real nodes: five cairnd processes, each with [membership, meta,
// storage] as `cairnd dev` runs them, on loopback. A writer puts files from 0 bytes to
// 300 MiB through the file client while a lister keeps listing the directory; one node is
// killed -9 during the writes and restarted, then the meta leader is killed -9 for good.
// Afterwards:
//   - every acknowledged file reads back byte-identical (its SHA-256 and length);
//   - no listing ever showed a file at a size other than the one being written (a file is
//     visible only when whole), and every file listed at the end was one the writer put.
// File contents follow from a pinned seed and the file's index, generated as they are read,
// so even the 300 MiB file costs the test no memory.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

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
using testing::wait_until;

constexpr uint64_t kSeed = 20261126;
constexpr uint64_t kMiB = 1 << 20;
constexpr int kNodes = 5;
// The files, in the order they are written.
const std::vector<uint64_t> kSizes = {0,          1,          4096,      100'000,       kMiB + 7,
                                      3 * kMiB,   8 * kMiB,   64 * kMiB, 64 * kMiB + 1, 2 * kMiB,
                                      300 * kMiB, 5 * kMiB,   1024,      20 * kMiB,     0,
                                      7 * kMiB,   130 * kMiB, 3};

cas::Digest expected_digest(uint64_t index) {
  return testing::SeededSource(kSeed, index, kSizes[index]).digest();
}

std::string path_of(uint64_t index) { return absl::StrCat("/t/f", index); }

TEST(FileKill, AcknowledgedFilesSurviveKillsAndNoPartialFileIsListed) {
  char tmpl[] = "/tmp/cairn-files-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  testing::MetaClusterOptions options;
  options.cairnd = CAIRND_PATH;
  options.nodes = kNodes;
  options.roles = "[membership, meta, storage]";
  testing::MetaCluster cluster(tmpl, options);
  cluster.start_all();
  for (int i = 1; i <= kNodes; ++i) {
    ASSERT_TRUE(
        wait_until(15s, [&] { return cluster.log_lines(i, "kind=storage_ready").size() == 1; }))
        << "n" << i << " did not start its store; logs in " << tmpl;
  }
  ASSERT_TRUE(wait_until(15s, [&] { return cluster.leader() != 0; })) << "no meta leader";

  FileBlockingClientOptions co;
  co.meta = cluster.client_peers();
  co.deadline = 20s;
  co.chunk_attempt_timeout = 20s;
  co.file.window = 2;
  FileBlockingClient client(co);
  meta::wire::NsCommand mkdir;
  mkdir.mutable_mkdir()->set_path("/t");
  ASSERT_TRUE(client.command(mkdir).ok());

  std::mutex mu;
  std::map<uint64_t, bool> acked;  // index -> acknowledged
  std::atomic<uint64_t> done{0};
  std::thread writer([&] {
    for (uint64_t i = 0; i < kSizes.size(); ++i) {
      client::PutOptions po;
      po.condition = meta::wire::IF_ABSENT;
      auto r =
          client.put(path_of(i), std::make_shared<testing::SeededSource>(kSeed, i, kSizes[i]), po);
      if (!r.ok()) std::printf("put %s: %s\n", path_of(i).c_str(), r.status().ToString().c_str());
      {
        std::lock_guard<std::mutex> lock(mu);
        acked[i] = r.ok();
      }
      ++done;
    }
  });

  // Listings run on a client of their own, while the writer works.
  std::atomic<bool> stop_listing{false};
  std::atomic<uint64_t> listings{0};
  std::vector<std::string> partial;  // what a listing showed wrongly
  std::thread lister([&] {
    FileBlockingClientOptions lo = co;
    FileBlockingClient ls(lo);
    while (!stop_listing) {
      meta::wire::NsQuery q;
      q.mutable_list()->set_path("/t");
      auto r = ls.query(q);
      if (!r.ok()) continue;  // no leader for a moment
      ++listings;
      std::this_thread::sleep_for(5ms);  // leave the writer and the nodes some CPU
      for (const auto& e : r->entries()) {
        uint64_t index = 0;
        const bool named = e.name().size() > 1 && absl::SimpleAtoi(e.name().substr(1), &index) &&
                           index < kSizes.size();
        if (!named || e.size_bytes() != kSizes[index]) {
          partial.push_back(absl::StrCat(e.name(), " at ", e.size_bytes(), " bytes"));
        }
      }
    }
  });

  auto wait_done = [&](uint64_t n) { return wait_until(240s, [&] { return done >= n; }); };
  ASSERT_TRUE(wait_done(4)) << "logs in " << tmpl;
  const int leader = cluster.leader();
  const int victim = leader == 1 ? 2 : 1;  // a storage node that does not lead meta
  ASSERT_TRUE(cluster.kill9(victim));
  ASSERT_TRUE(wait_done(8)) << "logs in " << tmpl;
  cluster.start(victim);
  ASSERT_TRUE(wait_done(10)) << "logs in " << tmpl;
  const int old_leader = cluster.leader();
  ASSERT_NE(old_leader, 0);
  ASSERT_TRUE(cluster.kill9(old_leader));
  writer.join();
  stop_listing = true;
  lister.join();

  EXPECT_GT(listings.load(), 0u);
  EXPECT_TRUE(partial.empty()) << "listed wrongly: " << partial.front();
  size_t acknowledged = 0;
  for (const auto& [index, ok] : acked) {
    if (!ok) continue;
    ++acknowledged;
    cas::Digester d;
    uint64_t bytes = 0;
    auto r =
        client.get(path_of(index), 0, 0, client::FileClient::kToEnd, [&](const Payload& piece) {
          d.update({reinterpret_cast<const uint8_t*>(piece.data()), piece.view().size()});
          bytes += piece.view().size();
          return absl::OkStatus();
        });
    ASSERT_TRUE(r.ok()) << path_of(index) << ": " << r.status() << "; logs in " << tmpl;
    EXPECT_EQ(bytes, kSizes[index]) << path_of(index);
    EXPECT_EQ(d.finish(), expected_digest(index)) << path_of(index) << " read back other bytes";
  }
  // Writes may fail while a node is being killed, but most must go through.
  EXPECT_GE(acknowledged, kSizes.size() - 3) << "logs in " << tmpl;
  std::printf("%zu of %zu files acknowledged, %llu listings\n", acknowledged, kSizes.size(),
              static_cast<unsigned long long>(listings.load()));
  // The cluster's files (close to 1 GB) stay only when something failed, for its logs.
  EXPECT_TRUE(cluster.stop_all()) << "logs in " << tmpl;
  if (!HasFailure()) std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace cairn::real
