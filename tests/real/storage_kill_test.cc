// The storage role on real nodes: five cairnd processes with [membership, storage] on
// loopback (every shard put syncs its file and directory), writers putting chunks without
// pause, small ones (< 1 MiB: replicated 3 ways) and large ones (2-4 MiB: Reed-Solomon
// 3+2), while one node is killed -9 in the middle of the writes and restarted, and another
// is killed -9 for good. Afterwards:
//   - every acknowledged chunk reads back byte-identical, whole and in a range;
//   - every replica of a replicated chunk that a node serves on its own is byte-identical;
//   - every blob file on every node's disk (the dead node's included) hashes to its name
//     and has a sound trailer: no shard is ever readable with wrong bytes;
//   - the restarted node's recovery removed exactly the temporaries its crash left and
//     quarantined nothing (no half-written blob was ever visible under its name).
// Chunk contents come from a pinned seed, so the bytes are regenerated to compare.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <regex>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/cas/blob_format.h"
#include "core/cas/digest.h"
#include "core/storage/roles.h"
#include "runtime-real/host/config.h"
#include "runtime-real/tools/chunk_blocking_client.h"
#include "tests/real/meta_cluster.h"
#include "tests/real/process.h"

namespace cairn::real {
namespace {

using namespace std::chrono_literals;
using storage::ChunkLayout;
using storage::StorageMode;
using testing::wait_until;
namespace fs = std::filesystem;

constexpr uint64_t kSeed = 20261126;
constexpr int kNodes = 5;
constexpr int kWriters = 3;
constexpr int kRestarted = 2;  // killed -9 mid-writes, then restarted
constexpr int kDead = 4;       // killed -9 for good
constexpr uint64_t kAcksPerPhase = 30;
constexpr auto kReadyBound = 15s;
constexpr auto kProgressBound = 20s;

// The bytes of chunk `index`: its size and contents follow from the seed alone. Even
// indexes are small (replicated), odd ones 2-4 MiB (erasure coded).
std::string chunk_bytes(uint64_t index) {
  std::mt19937_64 rng(kSeed ^ (index * 0x9E3779B97F4A7C15ull));
  const uint64_t size =
      index % 2 == 0 ? (64u << 10) + rng() % (900u << 10) : (2u << 20) + rng() % (2u << 20);
  std::string out(size, '\0');
  for (uint64_t i = 0; i + 8 <= size; i += 8) {
    const uint64_t v = rng();
    std::memcpy(out.data() + i, &v, 8);
  }
  for (uint64_t i = size - size % 8; i < size; ++i) out[i] = static_cast<char>(rng());
  return out;
}

struct Acked {
  uint64_t index;
  ChunkLayout layout;
};

// Writer threads putting chunks in closed loops, recording what was acknowledged.
class Writers {
 public:
  explicit Writers(ChunkBlockingClient& client) : client_(client) {}
  ~Writers() { stop(); }

  void start() {
    for (int w = 0; w < kWriters; ++w) threads_.emplace_back([this] { run(); });
  }
  void stop() {
    stop_ = true;
    for (auto& t : threads_) t.join();
    threads_.clear();
  }
  uint64_t acked() const { return acked_count_.load(); }
  uint64_t failed() const { return failed_.load(); }
  std::vector<Acked> acked_chunks;  // after stop()

 private:
  void run() {
    while (!stop_) {
      const uint64_t index = next_++;
      auto r = client_.put(chunk_bytes(index));
      if (!r.ok()) {
        if (failed_++ < 5)
          std::printf("put %llu: %s\n", static_cast<unsigned long long>(index),
                      r.status().ToString().c_str());
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      acked_chunks.push_back(Acked{index, *r});
      ++acked_count_;
    }
  }

  ChunkBlockingClient& client_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> next_{0};
  std::atomic<uint64_t> acked_count_{0};
  std::atomic<uint64_t> failed_{0};
  std::mutex mu_;
};

int64_t field(const std::string& line, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(line, m, std::regex(" " + key + "=(\\d+)"))) return -1;
  return std::stoll(m[1]);
}

size_t files_in(const fs::path& dir) {
  std::error_code ec;
  size_t n = 0;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); ++it) ++n;
  return n;
}

// Checks every blob file under `root` (a node's cas/ directory): its bytes hash to its
// name and its trailer is sound. Returns the number of blobs checked.
size_t check_blobs(const fs::path& root) {
  size_t checked = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    const std::string rel = fs::relative(entry.path(), root.parent_path()).string();
    const auto digest = cas::digest_from_blob_name("cas", rel);
    if (!digest.has_value()) continue;  // a temporary or a quarantined blob
    const std::string file = testing::read_whole_file(entry.path());
    EXPECT_EQ(file.size(), cas::file_bytes_for(digest->size_bytes())) << entry.path();
    if (file.size() != cas::file_bytes_for(digest->size_bytes())) continue;
    const std::string_view data(file.data(), digest->size_bytes());
    EXPECT_EQ(cas::Digest::of(absl::Span<const uint8_t>(
                  reinterpret_cast<const uint8_t*>(data.data()), data.size())),
              *digest)
        << entry.path() << " holds bytes that are not its name's";
    EXPECT_TRUE(
        cas::check_footer(std::string_view(file).substr(file.size() - cas::kFooterBytes)).ok())
        << entry.path();
    ++checked;
  }
  return checked;
}

TEST(StorageKill, AcknowledgedChunksSurviveKillsByteIdentical) {
  char tmpl[] = "/tmp/cairn-storage-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  testing::MetaClusterOptions options;
  options.cairnd = CAIRND_PATH;
  options.nodes = kNodes;
  options.roles = "[membership, storage]";
  options.extra_config = "storage: {replicas: 3, data_shards: 3, parity_shards: 2}\n";
  testing::MetaCluster cluster(tmpl, options);
  cluster.start_all();
  for (int i = 1; i <= kNodes; ++i) {
    ASSERT_TRUE(wait_until(kReadyBound,
                           [&] { return cluster.log_lines(i, "kind=storage_ready").size() == 1; }))
        << "n" << i << " did not recover its store; logs in " << tmpl;
  }

  std::vector<HostPort> nodes;
  for (int i = 1; i <= kNodes; ++i) nodes.push_back(HostPort{"127.0.0.1", cluster.client_port(i)});
  ChunkBlockingClientOptions co;
  co.nodes = nodes;
  co.attempt_timeout = 12s;  // above the shard calls' own 5 s timeout
  co.max_attempts = 4;
  co.avoid_for = 5s;
  ChunkBlockingClient client(co);

  Writers writers(client);
  writers.start();
  auto progress = [&](uint64_t from) {
    return wait_until(kProgressBound, [&] { return writers.acked() >= from + kAcksPerPhase; });
  };
  ASSERT_TRUE(progress(0)) << "no writes acknowledged; logs in " << tmpl;

  // Kill as a shard is being written there (a temporary exists), if that is seen within
  // the bound; the crash then leaves a half-written temporary behind.
  const fs::path tmp = fs::path(tmpl) / absl::StrCat("n", kRestarted) / "cas" / "tmp";
  const auto look_until = std::chrono::steady_clock::now() + kProgressBound;
  while (files_in(tmp) == 0 && std::chrono::steady_clock::now() < look_until) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_TRUE(cluster.kill9(kRestarted));
  const size_t leftover = files_in(tmp);
  std::printf("n%d killed after %llu acknowledged chunks; %zu temporaries left on its disk\n",
              kRestarted, static_cast<unsigned long long>(writers.acked()), leftover);
  ASSERT_TRUE(progress(writers.acked()))
      << "no progress without n" << kRestarted << "; logs in " << tmpl;
  cluster.start(kRestarted);
  ASSERT_TRUE(wait_until(
      kReadyBound, [&] { return cluster.log_lines(kRestarted, "kind=storage_ready").size() == 2; }))
      << "n" << kRestarted << " did not recover after restart; logs in " << tmpl;
  const std::string again = cluster.log_lines(kRestarted, "kind=storage_ready").back();
  EXPECT_EQ(field(again, "temporaries_removed"), static_cast<int64_t>(leftover)) << again;
  EXPECT_EQ(field(again, "quarantined"), 0) << again;
  ASSERT_TRUE(progress(writers.acked())) << "no progress after the restart; logs in " << tmpl;

  ASSERT_TRUE(cluster.kill9(kDead));
  ASSERT_TRUE(progress(writers.acked()))
      << "no progress without n" << kDead << "; logs in " << tmpl;
  writers.stop();
  std::printf("%llu chunks acknowledged, %llu puts failed\n",
              static_cast<unsigned long long>(writers.acked()),
              static_cast<unsigned long long>(writers.failed()));

  // Read back through the live nodes: whole, a range, and each replica of a replicated
  // chunk on its own (those on the dead node are checked on its disk below).
  co.nodes.erase(co.nodes.begin() + (kDead - 1));
  ChunkBlockingClient reader(co);
  size_t replicated = 0, erasure = 0, replicas_read = 0;
  for (const Acked& a : writers.acked_chunks) {
    const std::string want = chunk_bytes(a.index);
    const ChunkLayout& l = a.layout;
    if (want.size() < (1u << 20)) {
      ++replicated;
      EXPECT_EQ(l.mode, StorageMode::kReplicated) << l.code_name();
      EXPECT_EQ(l.total_shards(), 3) << l.code_name();
    } else {
      ++erasure;
      EXPECT_EQ(l.mode, StorageMode::kErasure) << l.code_name();
      EXPECT_EQ(l.data_shards, 3);
      EXPECT_EQ(l.parity_shards, 2);
    }
    auto whole = reader.read(l, 0, want.size());
    ASSERT_TRUE(whole.ok()) << "chunk " << a.index << " (" << l.code_name()
                            << "): " << whole.status() << "; logs in " << tmpl;
    EXPECT_TRUE(*whole == want) << "chunk " << a.index << " read back different bytes";
    const uint64_t offset = want.size() / 3, length = want.size() / 2;
    auto part = reader.read(l, offset, length);
    ASSERT_TRUE(part.ok()) << part.status();
    EXPECT_TRUE(*part == want.substr(offset, length)) << "chunk " << a.index << " range";
    if (l.mode != StorageMode::kReplicated) continue;
    for (const storage::ShardPlace& place : l.shards) {
      if (place.node == kDead) continue;
      ChunkLayout one = l;
      one.parity_shards = 0;
      one.shards = {place};
      auto replica = reader.read(one, 0, want.size());
      if (!replica.ok()) continue;  // absent (its node is dead) is allowed; wrong is not
      ++replicas_read;
      EXPECT_TRUE(*replica == want) << "replica on n" << place.node << " of chunk " << a.index;
    }
  }
  std::printf("read back %zu replicated and %zu erasure-coded chunks, %zu single replicas\n",
              replicated, erasure, replicas_read);
  EXPECT_GT(replicated, 0u);
  EXPECT_GT(erasure, 0u);
  EXPECT_GE(replicas_read, replicated);

  EXPECT_TRUE(cluster.stop_all()) << "a node did not shut down cleanly; logs in " << tmpl;
  size_t blobs = 0;
  for (int i = 1; i <= kNodes; ++i) {
    const fs::path cas = fs::path(tmpl) / absl::StrCat("n", i) / "cas";
    blobs += check_blobs(cas);
    EXPECT_EQ(files_in(cas / "quarantine"), 0u) << "n" << i;
  }
  std::printf("%zu blob files checked on disk\n", blobs);
  EXPECT_GT(blobs, writers.acked_chunks.size());
  if (!HasFailure()) fs::remove_all(tmpl);
}

// `cairnd dev`: three nodes in one process run meta and storage together; chunks of
// both modes (a 3-node dev cluster codes large ones RS(2,1)) are stored and read back.
TEST(StorageDev, DevClusterStoresChunks) {
  char tmpl[] = "/tmp/cairn-storage-dev-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  int base = 0;  // node i takes frames on base+i, HTTP on base+100+i, clients on base+200+i
  for (uint16_t candidate : testing::pick_listen_ports(20)) {
    if (candidate > 60000) continue;
    bool all_free = true;
    for (int off : {1, 2, 3, 101, 102, 103, 201, 202, 203}) {
      all_free = all_free && testing::port_is_free(static_cast<uint16_t>(candidate + off));
    }
    if (all_free) {
      base = candidate;
      break;
    }
  }
  ASSERT_NE(base, 0) << "no free port range";
  const pid_t pid = testing::spawn(
      {CAIRND_PATH, "dev", "--nodes", "3", "--port", std::to_string(base), "--data-dir", tmpl},
      absl::StrCat(tmpl, "/dev.log"));
  ChunkBlockingClientOptions co;
  for (int i = 1; i <= 3; ++i) {
    co.nodes.push_back(HostPort{"127.0.0.1", static_cast<uint16_t>(base + 200 + i)});
  }
  co.attempt_timeout = 5s;
  ChunkBlockingClient client(co);
  for (uint64_t index : {0, 1}) {  // 64 KiB - 1 MiB: replicated; 2-4 MiB: erasure coded
    const std::string bytes = chunk_bytes(index);
    absl::StatusOr<ChunkLayout> layout;
    ASSERT_TRUE(wait_until(kReadyBound, [&] { return (layout = client.put(bytes)).ok(); }))
        << layout.status() << "; log in " << tmpl;
    EXPECT_EQ(layout->code_name(), index == 0 ? "rep(3)" : "rs(2,1)");
    auto back = client.read(*layout, 0, bytes.size());
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_TRUE(*back == bytes);
  }
  EXPECT_TRUE(fs::exists(fs::path(tmpl) / "n1" / "cas"));
  // cairnd re-executed itself with malloc on transparent huge pages (huge_pages.h), unless
  // this kernel has them turned off.
  std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  if (std::getline(thp, modes) && modes.find("[never]") == std::string::npos) {
    std::ifstream environ_file(absl::StrCat("/proc/", pid, "/environ"));
    const std::string environ_bytes((std::istreambuf_iterator<char>(environ_file)),
                                    std::istreambuf_iterator<char>());
    EXPECT_NE(environ_bytes.find("glibc.malloc.hugetlb=1"), std::string::npos);
  }
  ::kill(pid, SIGTERM);
  EXPECT_EQ(testing::wait_exit(pid, 10s), 0) << "log in " << tmpl;
  if (!HasFailure()) fs::remove_all(tmpl);
}

// How many client connections a node accepts at once: read from the config, bounded.
TEST(NodeConfigMaxClients, IsReadWithItsDefaultAndBounds) {
  EXPECT_EQ(NodeConfig{}.max_clients, 10000u);
  auto c = parse_node_config("node: 1\ndata_dir: /tmp/x\nmax_clients: 20000\n", "n1.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->max_clients, 20000u);
  auto zero = parse_node_config("node: 1\ndata_dir: /tmp/x\nmax_clients: 0\n", "n1.yaml");
  EXPECT_EQ(zero.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(zero.status().message().find("n1.yaml:3"), std::string::npos) << zero.status();
}

// cairnd's config for storage nodes: the `storage:` section, zones, and `cairnd dev`.
TEST(StorageConfig, ReadsTheStorageSectionAndZones) {
  const std::string base =
      "node: 1\ndata_dir: /tmp/x\nroles: [membership, storage]\nzone: a\npeers:\n"
      "  - {node: 2, address: h:1, zone: b}\n  - {node: 3, address: h:2}\n";
  auto ok = parse_node_config(base + "storage: {replicas: 2, data_shards: 4, hedge_after: 5ms}\n",
                              "n1.yaml");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->zone, "a");
  EXPECT_EQ(ok->peers.at(0).zone, "b");
  EXPECT_EQ(ok->peers.at(1).zone, "");
  const auto& so = ok->role_options.get_or_default<storage::StorageOptions>("storage");
  EXPECT_EQ(so.coordinator.replicas, 2);
  EXPECT_EQ(so.coordinator.data_shards, 4);
  EXPECT_EQ(so.coordinator.parity_shards, 2);  // the default
  EXPECT_EQ(so.coordinator.hedge_initial, std::chrono::milliseconds(5));

  auto error = [&](const std::string& text) {
    auto c = parse_node_config(text, "n1.yaml");
    return c.ok() ? std::string("accepted") : std::string(c.status().message());
  };
  EXPECT_EQ(error(base + "storage: {replica: 2}\n").rfind("n1.yaml:8: unknown key 'replica'", 0),
            0u);
  EXPECT_EQ(error(base + "storage: {replicas: 2, replica_quorum: 3}\n"),
            "n1.yaml:8: replica_quorum is above replicas");
  auto notice = parse_node_config(base + "storage: {working_notice: 1s}\n", "n1.yaml");
  ASSERT_TRUE(notice.ok()) << notice.status();
  EXPECT_EQ(notice->role_options.get_or_default<storage::StorageOptions>("storage")
                .service.working_notice,
            std::chrono::seconds(1));
  EXPECT_EQ(error(base + "storage: {working_notice: 5s}\n"),
            "n1.yaml:8: working_notice must lie in (0, 5 s): a shard client gives up on a node "
            "silent that long");
  EXPECT_EQ(error("node: 1\ndata_dir: /x\nstorage: {replicas: 2}\n"),
            "n1.yaml:3: 'storage' given but 'storage' is no role of this node");
  EXPECT_EQ(error("node: 1\ndata_dir: /x\npeers:\n  - {node: 2, address: h:1, rack: b}\n")
                .rfind("n1.yaml:4: unknown key 'rack'", 0),
            0u);

  const auto dev = dev_cluster(3, 7000, "/tmp/d");
  EXPECT_EQ(dev.at(0).roles, (std::vector<std::string>{"membership", "meta", "storage"}));
  const auto no_meta = dev_cluster(3, 7000, "/tmp/d", false);
  EXPECT_EQ(no_meta.at(2).roles, (std::vector<std::string>{"membership", "storage"}));
  // Nodes sharing one machine get etcd's timing, not the 150-300 ms of a quiet network.
  const raft::GroupOptions& raft = std::as_const(dev.at(1)).meta().raft;
  EXPECT_EQ(raft.heartbeat, std::chrono::milliseconds(100));
  EXPECT_EQ(raft.election_timeout_min, std::chrono::milliseconds(1000));
  EXPECT_EQ(raft.election_timeout_max, std::chrono::milliseconds(2000));
  EXPECT_TRUE(raft.validate().ok());
  auto codes = [](const NodeConfig& c) {
    const auto& o = c.role_options.get_or_default<storage::StorageOptions>("storage").coordinator;
    return absl::StrCat("rep(", o.replicas, ")/", o.replica_quorum, " rs(", o.data_shards, ",",
                        o.parity_shards, ")+", o.extra_quorum, " below ", o.replicate_below_bytes);
  };
  // Small dev clusters get codes that fit them; five nodes or more keep the defaults.
  EXPECT_EQ(codes(dev.at(0)), "rep(3)/2 rs(2,1)+0 below 1048576");
  EXPECT_EQ(codes(dev_cluster(1, 7000, "/tmp/d").at(0)), "rep(1)/1 rs(3,2)+1 below 67108865");
  EXPECT_EQ(codes(dev_cluster(5, 7000, "/tmp/d").at(4)), "rep(3)/2 rs(3,2)+1 below 1048576");
}

}  // namespace
}  // namespace cairn::real
