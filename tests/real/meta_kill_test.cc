// The meta role on real nodes: three cairnd processes on loopback (fsync on: the real
// Disk syncs every Raft append), a client load of several threads doing put / get / cas on
// a few shared keys plus writes to keys of their own, and `kill -9` of the current leader
// five times, each time restarted. Afterwards:
//   - the recorded history (shared keys, plus a final read of each) is linearizable
//     (core/check/linearizability.h), so no acknowledged write was lost or reordered;
//   - every acknowledged write to a client's own keys reads back with its value.
// Invocation and completion times come from one atomic counter taken just before a
// request is sent and just after its answer arrives: a logical clock consistent with real
// time, unique across the history as the checker requires.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/check/linearizability.h"
#include "runtime-real/tools/kv_blocking_client.h"
#include "tests/real/meta_cluster.h"
#include "tests/real/process.h"

namespace cairn::real {
namespace {

using namespace std::chrono_literals;
using check::KvOperation;
using check::KvOpKind;
using testing::port_is_free;
using testing::wait_until;

constexpr int kClients = 4;
constexpr int kKills = 5;
constexpr int kSharedKeys = 3;
constexpr auto kLeaderBound = 10s;    // a leader after start or after a kill
constexpr auto kProgressBound = 10s;  // operations complete without the killed node
constexpr int kOpsPerPhase = 60;      // completed operations that show progress

// Several client threads in closed loops, recording what they did.
class Load {
 public:
  explicit Load(std::vector<HostPort> peers) : peers_(std::move(peers)) {}
  ~Load() { stop(); }

  void start() {
    for (int c = 0; c < kClients; ++c) threads_.emplace_back([this, c] { run(c); });
  }
  void stop() {
    stop_ = true;
    for (auto& t : threads_) t.join();
    threads_.clear();
  }
  uint64_t completed() const { return completed_.load(); }
  uint64_t unknown() const { return unknown_.load(); }
  uint64_t next_time() { return ++clock_; }

  std::vector<KvOperation> history;                      // after stop()
  std::vector<std::pair<std::string, std::string>> own;  // acknowledged own-key writes

 private:
  void run(int c) {
    KvBlockingClientOptions o;
    o.peers = peers_;
    o.deadline = 4s;
    o.attempt_timeout = 500ms;
    KvBlockingClient client(o);
    std::mt19937 rng(static_cast<uint32_t>(client.client_id()));
    std::map<std::string, std::string> seen;
    for (uint64_t n = 0; !stop_; ++n) {
      KvOperation op;
      op.client = static_cast<uint64_t>(c);
      const uint32_t dice = rng() % 100;
      op.key = absl::StrCat("k", rng() % kSharedKeys);
      op.value = absl::StrCat("c", c, "-", n);
      if (dice < 10) op.key = absl::StrCat("own/", c, "/", n);
      op.kind = dice < 45 ? KvOpKind::kPut : dice < 75 ? KvOpKind::kGet : KvOpKind::kCas;
      if (op.kind == KvOpKind::kCas) op.expected = seen.count(op.key) ? seen[op.key] : "none";
      op.call = next_time();
      absl::StatusOr<kv::wire::KvResult> r =
          op.kind == KvOpKind::kPut   ? client.put(op.key, op.value)
          : op.kind == KvOpKind::kGet ? client.get(op.key)
                                      : client.cas(op.key, op.expected, op.value);
      const uint64_t ret = next_time();
      record(std::move(op), r, ret, &seen);
    }
  }

  void record(KvOperation op, const absl::StatusOr<kv::wire::KvResult>& r, uint64_t ret,
              std::map<std::string, std::string>* seen) {
    if (!r.ok()) {
      if (unknown_++ < 3) std::printf("not answered: %s\n", r.status().ToString().c_str());
      if (op.kind == KvOpKind::kGet) return;  // an unanswered read changes nothing
    } else {
      ++completed_;
      op.ret = ret;
      op.ok = r->ok();
      if (op.kind == KvOpKind::kGet && r->found()) op.output = r->value();
      if (op.kind == KvOpKind::kGet && r->found()) (*seen)[op.key] = r->value();
      if (op.kind != KvOpKind::kGet && r->ok()) (*seen)[op.key] = op.value;
      if (op.kind == KvOpKind::kCas && !r->ok() && r->found()) (*seen)[op.key] = r->value();
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (op.key.starts_with("own/")) {
      if (op.ret) own.emplace_back(op.key, op.value);
      return;
    }
    history.push_back(std::move(op));
  }

  std::vector<HostPort> peers_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> clock_{0};
  std::atomic<uint64_t> completed_{0};
  std::atomic<uint64_t> unknown_{0};
  std::mutex mu_;
};

TEST(MetaKill, LeaderKilledRepeatedlyHistoryStaysLinearizable) {
  char tmpl[] = "/tmp/cairn-meta-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  testing::MetaClusterOptions options;
  options.cairnd = CAIRND_PATH;
  options.snapshot_every = 200;  // restarted nodes also catch up from snapshots
  testing::MetaCluster cluster(tmpl, options);
  cluster.start_all();
  ASSERT_TRUE(wait_until(kLeaderBound, [&] { return cluster.leader() != 0; }))
      << "no leader; logs in " << tmpl;

  Load load(cluster.client_peers());
  load.start();
  auto progress = [&](uint64_t from) {
    return wait_until(kProgressBound, [&] { return load.completed() >= from + kOpsPerPhase; });
  };
  ASSERT_TRUE(progress(0)) << "no progress before the first kill; logs in " << tmpl;
  for (int k = 0; k < kKills; ++k) {
    int victim = 0;
    ASSERT_TRUE(wait_until(kLeaderBound, [&] { return (victim = cluster.leader()) != 0; }))
        << "no leader before kill " << k << "; logs in " << tmpl;
    const uint64_t before = load.completed();
    ASSERT_TRUE(cluster.kill9(victim)) << "n" << victim;
    ASSERT_TRUE(progress(before)) << "no progress after killing n" << victim << "; logs in "
                                  << tmpl;
    std::printf("kill %d: n%d; %llu operations done so far\n", k + 1, victim,
                static_cast<unsigned long long>(load.completed()));
    cluster.start(victim);
    // The restarted node serves again (its client port is taken) before the run goes on:
    // otherwise the last one may still be loading when the cluster is stopped.
    ASSERT_TRUE(
        wait_until(kLeaderBound, [&] { return !port_is_free(cluster.client_port(victim)); }))
        << "n" << victim << " did not come back; logs in " << tmpl;
    ASSERT_TRUE(progress(load.completed())) << "no progress after restart; logs in " << tmpl;
  }
  load.stop();
  std::printf("%llu operations answered, %llu not answered in time\n",
              static_cast<unsigned long long>(load.completed()),
              static_cast<unsigned long long>(load.unknown()));

  KvBlockingClientOptions o;
  o.peers = cluster.client_peers();
  o.deadline = 10s;
  KvBlockingClient reader(o);
  std::vector<KvOperation> history = std::move(load.history);
  for (int k = 0; k < kSharedKeys; ++k) {
    KvOperation op{.client = 1000, .kind = KvOpKind::kGet, .key = absl::StrCat("k", k)};
    op.call = load.next_time();
    auto r = reader.get(op.key);
    ASSERT_TRUE(r.ok()) << r.status();
    op.ret = load.next_time();
    op.ok = r->found();
    op.output = r->value();
    history.push_back(op);
  }
  for (const auto& [key, value] : load.own) {
    auto r = reader.get(key);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->found() && r->value() == value) << key << " lost its acknowledged write";
  }
  const check::LinearizabilityResult lin = check::check_kv_linearizable(history, 20'000'000);
  // decltype: the enum's name is being changed in core/check; its values are not.
  EXPECT_EQ(lin.verdict, decltype(lin.verdict)::kLinearizable)
      << check::verdict_name(lin.verdict) << " on key " << lin.key << "\n"
      << lin.explanation;
  std::printf(
      "history: %zu operations on shared keys, %zu own writes read back; %s in %llu "
      "steps\n",
      history.size(), load.own.size(), check::verdict_name(lin.verdict),
      static_cast<unsigned long long>(lin.steps));
  EXPECT_TRUE(cluster.stop_all()) << "a node did not shut down cleanly; logs in " << tmpl;
  if (!HasFailure()) std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace cairn::real
