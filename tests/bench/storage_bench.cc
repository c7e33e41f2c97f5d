// Storage data-path benchmark: client goodput of cairnd storage nodes on loopback against
// fio on the same file system, measured in the same run. Not in CTest.
//
// Baseline: fio sequential write of --mib MiB in 4 MiB blocks with an fsync after each
// (`fio --name=seqwrite --rw=write --bs=4M --size=1G --fsync=1 --directory=DIR
// --output-format=json`), then a sequential read of the same file (page cache warm, as
// cairnd's reads of what it just wrote are), --fio-runs times (default 3): each figure's
// median is the baseline.
// Cairn: --mib MiB put then read back through ChunkBlockingClient (`--parallel` calls in
// flight), every put acknowledged only after its shards were fsync'd (file and directory):
//   - one node, replication factor 1, in 4 MiB and in 64 MiB chunks: ratio to fio;
//   - five nodes (unless --no-cluster), RS(3,2) and 3 replicas in 4 MiB chunks: puts
//     against fio's write divided by the storage overhead ((k+m)/k, or r); gets, which
//     read the chunk's bytes once (k shards, or one replica), against fio's read as it is.
//     A put is acknowledged at its write quorum (k+1 shards, 2 replicas); the rest
//     completes in the background and is counted in the disk time of later puts.
// --storage "key: value, ..." adds settings to every node's storage section.
// The timed reads check each call's status (the node has checked the chunk against its
// digest); one more, untimed round compares every chunk with what was written, so the
// comparison does not take CPU from the nodes. Reads go through read_into() into a buffer
// each calling thread keeps (--read-api string: through read(), a fresh string per call);
// --get-rounds N reads everything N times (the figure is their mean), long enough to attach
// perf to a node: each phase is announced on stderr as it starts.
//
//   storage_bench [--dir DIR] [--mib 1024] [--cluster-mib 512] [--parallel 4] [--no-cluster]
//                 [--read-api into|string] [--get-rounds 1] [--fio-runs 3]
//                 [--storage SETTINGS]
// DIR (default build/bench-storage) holds fio's file and the nodes' data while they run.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <regex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "runtime-real/host/huge_pages.h"
#include "runtime-real/tools/chunk_blocking_client.h"
#include "tests/real/meta_cluster.h"
#include "tests/real/process.h"

namespace cairn::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using real::ChunkBlockingClient;
namespace fs = std::filesystem;

constexpr uint64_t kMiB = 1 << 20;

struct Fio {
  double write_bps = 0;
  double read_bps = 0;
};

double largest_bw(const std::string& json) {
  double best = 0;
  const std::regex bw("\"bw_bytes\"\\s*:\\s*([0-9]+)");
  for (auto it = std::sregex_iterator(json.begin(), json.end(), bw); it != std::sregex_iterator();
       ++it) {
    best = std::max(best, std::stod((*it)[1]));
  }
  return best;
}

Fio run_fio(const std::string& dir, uint64_t bytes, bool show_commands) {
  const std::string size = absl::StrCat(bytes / kMiB, "M");
  int code = 0;
  Fio f;
  if (show_commands) {
    std::printf(
        "$ fio --name=seqwrite --rw=write --bs=4M --size=%s --fsync=1 --directory=%s "
        "--output-format=json\n",
        size.c_str(), dir.c_str());
  }
  f.write_bps = largest_bw(real::testing::run_capture(
      {"fio", "--name=seqwrite", "--rw=write", "--bs=4M", "--size=" + size, "--fsync=1",
       "--directory=" + dir, "--output-format=json"},
      &code));
  if (show_commands) {
    std::printf(
        "$ fio --name=seqwrite --rw=read --bs=4M --size=%s --directory=%s "
        "--output-format=json\n",
        size.c_str(), dir.c_str());
  }
  f.read_bps = largest_bw(
      real::testing::run_capture({"fio", "--name=seqwrite", "--rw=read", "--bs=4M",
                                  "--size=" + size, "--directory=" + dir, "--output-format=json"},
                                 &code));
  fs::remove(fs::path(dir) / "seqwrite.0.0");
  return f;
}

// fio `runs` times; the baseline is the median of each figure (fio's fsync'd write on a
// virtual disk can differ by 5x from one run to the next: docs/performance.md).
Fio median_fio(const std::string& dir, uint64_t bytes, int runs) {
  std::vector<double> writes, reads;
  for (int i = 0; i < runs; ++i) {
    const Fio f = run_fio(dir, bytes, i == 0);
    std::printf("fio run %d: write+fsync %.0f MB/s, read %.0f MB/s\n", i + 1, f.write_bps / 1e6,
                f.read_bps / 1e6);
    writes.push_back(f.write_bps);
    reads.push_back(f.read_bps);
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  };
  return Fio{.write_bps = median(writes), .read_bps = median(reads)};
}

// Distinct chunks (content addressing would deduplicate equal ones): random bytes with the
// chunk's number in its first eight.
std::vector<std::string> make_chunks(uint64_t total, uint64_t chunk_bytes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string base(chunk_bytes, '\0');
  for (uint64_t i = 0; i + 8 <= chunk_bytes; i += 8) {
    const uint64_t v = rng();
    std::memcpy(base.data() + i, &v, 8);
  }
  std::vector<std::string> out;
  for (uint64_t n = 0; n * chunk_bytes < total; ++n) {
    out.push_back(base);
    const uint64_t tag = seed * 1000003 + n;
    std::memcpy(out.back().data(), &tag, 8);
  }
  return out;
}

struct Goodput {
  double put_bps = 0;
  double get_bps = 0;
  bool ok = true;
};

struct LoadOptions {
  int parallel = 4;
  bool read_into = true;
  int get_rounds = 1;
};

// Puts every chunk, then reads every one back, `parallel` calls at a time.
Goodput run_load(ChunkBlockingClient& client, const std::vector<std::string>& chunks,
                 const LoadOptions& o, const std::string& what) {
  std::vector<storage::ChunkLayout> layouts(chunks.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> ok{true};
  uint64_t total = 0;
  for (const auto& c : chunks) total += c.size();
  auto phase = [&](const char* name, int rounds, auto&& one) {
    std::fprintf(stderr, "%s: %s (pid %d)\n", what.c_str(), name, static_cast<int>(getpid()));
    const auto t0 = Clock::now();
    std::vector<std::thread> threads;
    // Each calling thread's read buffer, kept across rounds as a caller would keep it.
    std::vector<std::string> buffers(static_cast<size_t>(o.parallel));
    for (int r = 0; r < rounds; ++r) {
      next = 0;
      for (std::string& mine : buffers) {
        threads.emplace_back([&] {
          for (size_t i = next++; i < chunks.size(); i = next++) one(i, mine);
        });
      }
      for (auto& t : threads) t.join();
      threads.clear();
    }
    return static_cast<double>(total) * rounds /
           std::chrono::duration<double>(Clock::now() - t0).count();
  };
  Goodput g;
  g.put_bps = phase("put", 1, [&](size_t i, std::string&) {
    auto r = client.put(chunks[i]);
    if (!r.ok()) {
      std::printf("put %zu: %s\n", i, r.status().ToString().c_str());
      ok = false;
      return;
    }
    layouts[i] = *r;
  });
  if (!ok) return Goodput{0, 0, false};
  // The timed rounds keep what a reader keeps: the status (the node has checked every
  // chunk against its digest). The bytes are compared afterwards, in an untimed round, so
  // the comparison's CPU is not taken from the node on a small machine.
  auto get = [&](bool compare) {
    return [&, compare](size_t i, std::string& mine) {
      absl::Status st;
      if (o.read_into) {
        mine.resize(chunks[i].size());
        st = client.read_into(layouts[i], 0, mine);
      } else {
        absl::StatusOr<std::string> r = client.read(layouts[i], 0, chunks[i].size());
        st = r.status();
        if (r.ok()) mine = *std::move(r);
      }
      if (!st.ok() || (compare && mine != chunks[i])) {
        std::printf("read %zu: %s\n", i, st.ok() ? "different bytes" : st.ToString().c_str());
        ok = false;
      }
    };
  };
  g.get_bps = phase("get", o.get_rounds, get(false));
  phase("get, bytes compared (untimed)", 1, get(true));
  g.ok = ok;
  return g;
}

struct Cluster {
  std::unique_ptr<real::testing::MetaCluster> nodes;
  std::unique_ptr<ChunkBlockingClient> client;
};

// `storage` is a flow mapping; `extra` (may be empty) adds settings to it.
Cluster start_cluster(const std::string& dir, int n, std::string storage,
                      const std::string& extra) {
  if (!extra.empty()) storage.insert(storage.size() - 1, absl::StrCat(", ", extra));
  fs::create_directories(dir);
  real::testing::MetaClusterOptions o;
  o.cairnd = CAIRND_PATH;
  o.nodes = n;
  o.roles = "[membership, storage]";
  o.log_level = "warn";
  o.extra_config = absl::StrCat("storage: ", storage, "\n");
  Cluster c;
  c.nodes = std::make_unique<real::testing::MetaCluster>(dir, o);
  c.nodes->start_all();
  real::ChunkBlockingClientOptions co;
  for (int i = 1; i <= n; ++i) co.nodes.push_back({"127.0.0.1", c.nodes->client_port(i)});
  co.attempt_timeout = 60s;
  co.max_attempts = 1;
  c.client = std::make_unique<ChunkBlockingClient>(co);
  // Ready once a put is acknowledged (the store answers puts after its recovery).
  const std::string probe = make_chunks(4096, 4096, 99).front();
  real::testing::wait_until(20s, [&] { return c.client->put(probe).ok(); });
  return c;
}

void row(const char* what, double bps, double baseline, double aim) {
  const double ratio = bps / baseline;
  std::printf("| %s | %.0f MB/s | %.0f MB/s | %.2f | %.2f | %s |\n", what, bps / 1e6,
              baseline / 1e6, ratio, aim, ratio >= aim ? "met" : "not met");
  std::fflush(stdout);
}

}  // namespace
}  // namespace cairn::bench

int main(int argc, char** argv) {
  using namespace cairn::bench;
  cairn::real::use_huge_pages_for_malloc(argv);
  CLI::App app{"storage_bench: cairnd storage goodput against fio"};
  std::string dir = "build/bench-storage";
  uint64_t mib = 1024, cluster_mib = 512;
  LoadOptions load;
  std::string read_api = "into";
  bool no_cluster = false;
  std::string extra_storage;
  app.add_option("--dir", dir, "a directory on the file system to measure");
  app.add_option("--mib", mib, "MiB written by fio and by each single-node run (default 1024)");
  app.add_option("--cluster-mib", cluster_mib, "MiB written by each cluster run (default 512)");
  app.add_option("--parallel", load.parallel, "client calls in flight (default 4)");
  app.add_option("--read-api", read_api, "into: read_into() a kept buffer; string: read()")
      ->check(CLI::IsMember({"into", "string"}));
  app.add_option("--get-rounds", load.get_rounds, "times every chunk is read (default 1)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--no-cluster", no_cluster, "skip the 5-node runs");
  app.add_option("--storage", extra_storage,
                 "settings added to every node's storage section, e.g. \"frame_bytes: 1MiB\"");
  int fio_runs = 3;
  app.add_option("--fio-runs", fio_runs, "fio runs; the baseline is their median (default 3)")
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  load.read_into = read_api == "into";
  fs::create_directories(dir);
  dir = fs::canonical(dir).string();
  const uint64_t bytes = mib * kMiB;

  const Fio fio = median_fio(dir, bytes, fio_runs);
  std::printf("fio: write+fsync %.0f MB/s, read %.0f MB/s (median of %d runs)\n\n",
              fio.write_bps / 1e6, fio.read_bps / 1e6, fio_runs);
  std::printf(
      "| run | cairn goodput | baseline | ratio | aim | |\n| --- | --- | --- | --- | --- | --- "
      "|\n");
  int status = 0;
  {
    Cluster one = start_cluster(dir + "/one", 1,
                                "{replicas: 1, replica_quorum: 1, replicate_below: 65MiB, "
                                "scrub_per_second: 0B}",
                                extra_storage);
    for (uint64_t chunk_mib : {4, 64}) {
      const auto chunks = make_chunks(bytes, chunk_mib * kMiB, chunk_mib);
      const Goodput g =
          run_load(*one.client, chunks, load, absl::StrCat("1 node, ", chunk_mib, " MiB"));
      if (!g.ok) status = 1;
      const std::string put = absl::StrCat("1 node, rep(1), ", chunk_mib, " MiB chunks: put");
      const std::string get = absl::StrCat("1 node, rep(1), ", chunk_mib, " MiB chunks: get");
      row(put.c_str(), g.put_bps, fio.write_bps, 0.7);
      row(get.c_str(), g.get_bps, fio.read_bps, 0.7);
    }
    one.client.reset();
    one.nodes->stop_all();
    fs::remove_all(dir + "/one");
  }
  if (!no_cluster) {
    struct Code {
      const char* name;
      const char* storage;
      double overhead;
    };
    for (const Code& code :
         {Code{"5 nodes, rs(3,2)",
               "{data_shards: 3, parity_shards: 2, replicate_below: 0B, "
               "scrub_per_second: 0B}",
               5.0 / 3},
          Code{"5 nodes, rep(3)", "{replicas: 3, replicate_below: 65MiB, scrub_per_second: 0B}",
               3.0}}) {
      const std::string at = absl::StrCat(dir, "/five-", code.overhead > 2 ? "rep" : "rs");
      Cluster five = start_cluster(at, 5, code.storage, extra_storage);
      const auto chunks = make_chunks(cluster_mib * kMiB, 4 * kMiB, 7 + code.overhead * 10);
      const Goodput g = run_load(*five.client, chunks, load, code.name);
      if (!g.ok) status = 1;
      row(absl::StrCat(code.name, ", 4 MiB chunks: put").c_str(), g.put_bps,
          fio.write_bps / code.overhead, 0.5);
      row(absl::StrCat(code.name, ", 4 MiB chunks: get").c_str(), g.get_bps, fio.read_bps, 0.5);
      five.client.reset();
      five.nodes->stop_all();
      fs::remove_all(at);
    }
  }
  return status;
}
