#include "runtime-real/tools/cli_bench.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <latch>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/base/units.h"
#include "runtime-real/tools/file_blocking_client.h"
#include "runtime-real/tools/kv_blocking_client.h"

namespace cairn::real::cli {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t mix(uint64_t x) {  // splitmix64's finalizer
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// `size` bytes made up from `seed` as they are read: no two seeds share a chunk, and a
// large file costs no memory.
class PatternSource final : public client::ByteSource {
 public:
  PatternSource(uint64_t size, uint64_t seed) : size_(size), seed_(seed) {}
  uint64_t size() const override { return size_; }
  absl::StatusOr<Payload> read(uint64_t offset, uint64_t length) override {
    if (offset > size_ || length > size_ - offset) {
      return absl::OutOfRangeError("read past the end of a generated file");
    }
    const uint64_t first = offset / 8, last = (offset + length + 7) / 8;
    std::string words((last - first) * 8, '\0');
    for (uint64_t w = first; w < last; ++w) {
      const uint64_t v = mix(seed_ ^ mix(w));
      std::memcpy(words.data() + (w - first) * 8, &v, 8);
    }
    return Payload(words.substr(offset % 8, length));
  }

 private:
  uint64_t size_, seed_;
};

struct ErrorKind {
  uint64_t count = 0;
  std::string sample;
};

// What one client saw.
struct ClientTally {
  std::vector<double> latency_us;  // successful operations
  uint64_t bytes = 0;
  std::map<std::string, ErrorKind> errors;
  void fail(const absl::Status& st) {
    ErrorKind& k = errors[absl::StatusCodeToString(st.code())];
    if (k.count++ == 0) k.sample = std::string(st.message());
  }
};

struct Plan {
  std::string workload;
  uint64_t size = 0;
  uint32_t clients = 1, files = 1;
  Clock::duration duration{};
  uint64_t ops = 0;
  std::string run_dir;
  uint64_t run_id = 0;
  FileBlockingClientOptions options;
};

int exit_code_of_setup(const absl::Status& st) {
  return st.code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitUnavailable;
}

class Bench {
 public:
  explicit Bench(Plan plan) : plan_(std::move(plan)), tallies_(plan_.clients) {}

  // Runs every client; returns the wall time of the measured part.
  absl::StatusOr<double> run() {
    std::latch ready(plan_.clients + 1), go(1);
    std::vector<std::thread> threads;
    threads.reserve(plan_.clients);
    for (uint32_t i = 0; i < plan_.clients; ++i) {
      threads.emplace_back([this, i, &ready, &go] { client_main(i, ready, go); });
    }
    ready.arrive_and_wait();
    start_ = Clock::now();
    go.count_down();  // publishes start_
    for (auto& t : threads) t.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    absl::MutexLock l(&mu_);
    if (!setup_error_.ok()) return setup_error_;
    return seconds;
  }
  const std::vector<ClientTally>& tallies() const { return tallies_; }

 private:
  std::string client_dir(uint32_t i) const { return absl::StrCat(plan_.run_dir, "/c", i); }
  std::string file(uint32_t i, uint64_t k) const { return absl::StrCat(client_dir(i), "/f", k); }
  uint64_t seed(uint32_t i, uint64_t k) const {
    return mix(plan_.run_id ^ mix((uint64_t{i} << 40) ^ k));
  }

  absl::Status put(FileBlockingClient& c, uint32_t i, uint64_t k) {
    auto r = c.put(file(i, k), std::make_shared<PatternSource>(plan_.size, seed(i, k)), {});
    return r.status();
  }

  // Setup is not measured: a put refused as Unavailable (nodes busy with the other clients'
  // setup) is retried for a while, with a growing pause.
  absl::Status setup_put(FileBlockingClient& c, uint32_t i, uint64_t k) {
    absl::Status st;
    for (int attempt = 0; attempt < 30; ++attempt) {
      st = put(c, i, k);
      if (st.code() != absl::StatusCode::kUnavailable) return st;
      std::this_thread::sleep_for(std::chrono::milliseconds(10 * std::min(attempt + 1, 20)));
    }
    return st;
  }

  absl::Status setup(FileBlockingClient& c, uint32_t i) {
    meta::wire::NsCommand mk;
    mk.mutable_mkdir()->set_path(client_dir(i));
    mk.mutable_mkdir()->set_parents(true);
    auto made = c.command(std::move(mk));
    if (!made.ok() && made.status().code() != absl::StatusCode::kAlreadyExists) {
      return made.status();
    }
    if (plan_.workload == "put") return absl::OkStatus();
    for (uint64_t k = 0; k < plan_.files; ++k) {
      if (auto st = setup_put(c, i, k); !st.ok()) return st;
    }
    return absl::OkStatus();
  }

  // One operation; the bytes it moved.
  absl::StatusOr<uint64_t> op(FileBlockingClient& c, uint32_t i, uint64_t n) {
    if (plan_.workload == "put") {
      // Setup made no files for put, so new names start at 0.
      if (auto st = put(c, i, n); !st.ok()) return st;
      return plan_.size;
    }
    if (plan_.workload == "get") {
      uint64_t got = 0;
      auto r = c.get(file(i, n % plan_.files), 0, 0, client::FileClient::kToEnd,
                     [&got](const Payload& p) {
                       got += p.view().size();
                       return absl::OkStatus();
                     });
      if (!r.ok()) return r.status();
      if (got != plan_.size) {
        return absl::DataLossError(absl::StrCat("read ", got, " bytes of ", plan_.size));
      }
      return got;
    }
    meta::wire::NsQuery q;
    if (n % 10 == 9) {
      q.mutable_list()->set_path(client_dir(i));
      q.mutable_list()->set_limit(100);
    } else {
      q.mutable_stat()->set_path(file(i, n % plan_.files));
    }
    auto r = c.query(std::move(q));
    if (!r.ok()) return r.status();
    return 0;
  }

  void client_main(uint32_t i, std::latch& ready, std::latch& go) {
    ClientTally& t = tallies_[i];
    auto client = std::make_unique<FileBlockingClient>(plan_.options);
    if (auto st = setup(*client, i); !st.ok()) {
      absl::MutexLock l(&mu_);
      if (setup_error_.ok()) {
        setup_error_ =
            absl::Status(st.code(), absl::StrCat("setup of client ", i, ": ", st.message()));
      }
      stop_.store(true);
    }
    ready.count_down();
    go.wait();
    const Clock::time_point until = start_ + plan_.duration;
    for (uint64_t n = 0; !stop_.load(); ++n) {
      if (plan_.ops > 0) {
        if (issued_.fetch_add(1) >= plan_.ops) break;
      } else if (Clock::now() >= until) {
        break;
      }
      const Clock::time_point sent = Clock::now();
      auto moved = op(*client, i, n);
      const double us = std::chrono::duration<double, std::micro>(Clock::now() - sent).count();
      if (moved.ok()) {
        t.latency_us.push_back(us);
        t.bytes += *moved;
      } else {
        t.fail(moved.status());
      }
    }
  }

  const Plan plan_;
  std::vector<ClientTally> tallies_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> issued_{0};
  Clock::time_point start_;
  absl::Mutex mu_;
  absl::Status setup_error_ ABSL_GUARDED_BY(mu_);
};

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

absl::StatusOr<Plan> make_plan(const BenchArgs& a) {
  Plan p;
  if (a.workload != "put" && a.workload != "get" && a.workload != "meta") {
    return absl::InvalidArgumentError("--workload must be put, get or meta");
  }
  p.workload = a.workload;
  // A bare number is bytes; otherwise a size with its unit.
  if (!absl::SimpleAtoi(a.size, &p.size)) {
    auto size = parse_size(a.size);
    if (!size.ok()) {
      return absl::InvalidArgumentError("--size must be a size such as 4KiB, 1GiB or 1000");
    }
    p.size = *size;
  }
  if (a.clients < 1 || a.clients > 10000) {
    return absl::InvalidArgumentError("--clients must be from 1 to 10000");
  }
  p.clients = a.clients;
  if (a.files < 1) return absl::InvalidArgumentError("--files must be at least 1");
  p.files = a.files;
  auto duration = parse_duration(a.duration);
  if (!duration.ok() || *duration <= Duration(0)) {
    return absl::InvalidArgumentError("--duration must be a positive duration such as 10s");
  }
  p.duration = std::chrono::duration_cast<Clock::duration>(*duration);
  p.ops = a.ops;
  if (a.dir.empty() || a.dir[0] != '/') {
    return absl::InvalidArgumentError("--dir must be an absolute path such as /bench");
  }
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  p.run_id = static_cast<uint64_t>(now_ms);
  p.run_dir = absl::StrCat(a.dir == "/" ? "" : a.dir, "/run-", now_ms);
  auto target = resolve(a.cluster);
  if (!target.ok()) return target.status();
  p.options.meta = target->peers;
  if (!a.storage.empty()) {
    auto storage = parse_peer_list(a.storage);
    if (!storage.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--storage: ", storage.status().message()));
    }
    p.options.storage = *storage;
  }
  p.options.deadline = target->timeout;
  p.options.attempt_timeout = std::min(p.options.deadline, std::chrono::milliseconds(1000));
  if (absl::Status st = set_file_sizes(a.chunk_size, a.inline_size, &p.options.file); !st.ok()) {
    return st;
  }
  p.options.file.window = std::max<uint32_t>(1, a.window);
  p.options.file.cache_bytes = 0;  // every get reaches the cluster
  return p;
}

}  // namespace

CLI::App* add_bench_command(CLI::App& app, BenchArgs& a) {
  CLI::App* sub = app.add_subcommand("bench", "measure put, get or metadata operations");
  sub->add_option("--workload", a.workload, "put, get or meta (stat, and ls every tenth op)");
  sub->add_option("--size", a.size, "bytes per file: 4KiB, 1GiB, 1000 (default 4KiB)");
  sub->add_option("--clients", a.clients, "concurrent clients, one thread each (default 1)");
  sub->add_option("--duration", a.duration, "how long to run (default 10s)");
  sub->add_option("--ops", a.ops, "stop after N operations in all instead");
  sub->add_option("--files", a.files, "get, meta: files each client puts first (default 1)");
  sub->add_option("--dir", a.dir, "directory the run's files go under (default /bench)");
  sub->add_option("--chunk-size", a.chunk_size, "fixed chunk size (default 64MiB)");
  sub->add_option("--window", a.window, "chunks in flight per client (default 4)");
  sub->add_option("--inline", a.inline_size,
                  "files up to this size live in the namespace (default 8KiB; 0: none)");
  sub->add_option("--storage", a.storage,
                  "client ports of storage nodes when they differ from --peer");
  add_cluster_options(*sub, a.cluster);
  a.cluster.timeout = "10s";
  return sub;
}

int run_bench_command(const BenchArgs& a) {
  const Output out(a.cluster.json);
  auto plan = make_plan(a);
  if (!plan.ok()) return out.error(kExitUsage, plan.status());
  Bench bench(*plan);
  auto seconds = bench.run();
  if (!seconds.ok()) return out.error(exit_code_of_setup(seconds.status()), seconds.status());

  std::vector<double> lat;
  uint64_t bytes = 0, failed = 0;
  std::map<std::string, ErrorKind> errors;
  for (const ClientTally& t : bench.tallies()) {
    lat.insert(lat.end(), t.latency_us.begin(), t.latency_us.end());
    bytes += t.bytes;
    for (const auto& [kind, e] : t.errors) {
      ErrorKind& k = errors[kind];
      if (k.count == 0) k.sample = e.sample;
      k.count += e.count;
      failed += e.count;
    }
  }
  std::sort(lat.begin(), lat.end());
  auto pct = [&lat](double q) {
    if (lat.empty()) return 0.0;
    const size_t i = std::min(lat.size() - 1, static_cast<size_t>(q * lat.size()));
    return lat[i] / 1000;
  };
  const double ops_s = lat.size() / *seconds, mb_s = bytes / *seconds / 1e6;
  const double p50 = pct(0.5), p90 = pct(0.9), p99 = pct(0.99);
  const double max = lat.empty() ? 0 : lat.back() / 1000;
  const int code = failed == 0 ? kExitOk : kExitUnavailable;

  if (out.json()) {
    std::string errs;
    for (const auto& [kind, e] : errors) {
      JsonObject o;
      o.number("count", static_cast<int64_t>(e.count)).bytes("sample", e.sample);
      absl::StrAppend(&errs, errs.empty() ? "" : ",", "\"", kind, "\":", o.str());
    }
    JsonObject o;
    o.text("workload", plan->workload)
        .number("size", static_cast<int64_t>(plan->size))
        .number("clients", plan->clients)
        .bytes("dir", plan->run_dir)
        .raw("seconds", fixed(*seconds, 3))
        .number("ops", static_cast<int64_t>(lat.size()))
        .number("failed", static_cast<int64_t>(failed))
        .number("bytes", static_cast<int64_t>(bytes))
        .raw("ops_per_s", fixed(ops_s, 2))
        .raw("mb_per_s", fixed(mb_s, 2))
        .raw("p50_ms", fixed(p50, 3))
        .raw("p90_ms", fixed(p90, 3))
        .raw("p99_ms", fixed(p99, 3))
        .raw("max_ms", fixed(max, 3))
        .raw("errors", "{" + errs + "}");
    return out.result(o, code);
  }
  std::string text = absl::StrCat(
      plan->workload, " ", a.size, " x ", plan->clients, " clients, ", fixed(*seconds, 2),
      " s: ", lat.size(), " ops ok, ", failed, " failed\n", "  ", fixed(ops_s, 2), " ops/s  ",
      fixed(mb_s, 2), " MB/s\n", "  latency ms: p50 ", fixed(p50, 2), "  p90 ", fixed(p90, 2),
      "  p99 ", fixed(p99, 2), "  max ", fixed(max, 2), "\n");
  for (const auto& [kind, e] : errors) {
    absl::StrAppend(&text, "  errors ", kind, ": ", e.count, " (e.g. ", e.sample, ")\n");
  }
  return out.text(text, code);
}

}  // namespace cairn::real::cli
