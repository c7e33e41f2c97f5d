// ChunkBlockingClient::read_into against one real cairnd storage node: the bytes land in
// the caller's buffer (whole chunk, a range, the same buffer again), a failed read leaves
// the buffer as it was, and read() still answers the same bytes.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>

#include "runtime-real/tools/chunk_blocking_client.h"
#include "tests/real/meta_cluster.h"
#include "tests/real/process.h"

namespace cairn::real {
namespace {

using namespace std::chrono_literals;

std::string random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    const uint64_t v = rng();
    std::memcpy(out.data() + i, &v, std::min<size_t>(8, n - i));
  }
  return out;
}

TEST(ChunkReadInto, FillsTheCallersBufferAndLeavesItAsItWasOnAnError) {
  char tmpl[] = "/tmp/cairn-read-into-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  testing::MetaClusterOptions options;
  options.cairnd = CAIRND_PATH;
  options.nodes = 1;
  options.roles = "[membership, storage]";
  options.log_level = "warn";
  options.extra_config = "storage: {replicas: 1, replica_quorum: 1, replicate_below: 65MiB}\n";
  testing::MetaCluster cluster(tmpl, options);
  cluster.start_all();
  ChunkBlockingClientOptions co;
  co.nodes.push_back({"127.0.0.1", cluster.client_port(1)});
  co.attempt_timeout = 20s;
  co.max_attempts = 1;
  ChunkBlockingClient client(co);
  const std::string probe = random_bytes(4096, 1);
  ASSERT_TRUE(testing::wait_until(20s, [&] { return client.put(probe).ok(); }))
      << "the node did not take a put; logs in " << tmpl;

  const std::string a = random_bytes((3u << 20) + 5, 2);  // a large answer, odd length
  const std::string b = random_bytes(70'000, 3);
  absl::StatusOr<storage::ChunkLayout> la = client.put(a);
  absl::StatusOr<storage::ChunkLayout> lb = client.put(b);
  ASSERT_TRUE(la.ok()) << la.status();
  ASSERT_TRUE(lb.ok()) << lb.status();

  std::string buffer(a.size(), 'x');
  ASSERT_TRUE(client.read_into(*la, 0, buffer).ok());
  EXPECT_TRUE(buffer == a);
  // A range into the front of the same buffer; the rest keeps the earlier bytes.
  ASSERT_TRUE(client.read_into(*lb, 1000, std::span<char>(buffer.data(), 5000)).ok());
  EXPECT_EQ(buffer.substr(0, 5000), b.substr(1000, 5000));
  EXPECT_EQ(buffer.substr(5000), a.substr(5000));
  // Past the chunk's end: an error, and the buffer untouched.
  std::string untouched(100, 'z');
  EXPECT_FALSE(client.read_into(*lb, b.size() - 10, untouched).ok());
  EXPECT_EQ(untouched, std::string(100, 'z'));
  // An empty range reads nothing and succeeds.
  EXPECT_TRUE(client.read_into(*lb, 0, std::span<char>()).ok());
  // read() answers the same bytes as before.
  absl::StatusOr<std::string> whole = client.read(*la, 0, a.size());
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_TRUE(*whole == a);

  EXPECT_TRUE(cluster.stop_all());
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace cairn::real
