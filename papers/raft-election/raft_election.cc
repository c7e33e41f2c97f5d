// Generator of papers/raft-election: reproduces Figure 16 of the Raft paper (time without
// a leader after the leader crashes, five servers, ~15 ms broadcast time) in cairn-sim.
//
//   raft_election [--trials N] [--trials-no-random M] [--ranges 150-150,12-24,...]
//                 [--cap-no-random-s S] [--jobs J] [--out DIR]
//
// Writes DIR/trials.csv (one row per trial) and DIR/summary.csv (percentiles per range);
// analysis/plot_raft_election.py draws the CDFs. Each trial is one forked child; `--jobs`
// children run at once, and results are gathered by trial index, so the output does not
// depend on J.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "core/runtime/rng.h"
#include "papers/raft-election/election_trial.h"

namespace cairn::papers {
namespace {

constexpr uint64_t kBaseSeed = 20140619;  // the day of USENIX ATC '14
constexpr int kAttemptsMax = 8;           // redraws when no leader was up at the crash

struct Options {
  int trials = 1000;
  int trials_no_random = 100;  // the paper ran 100 trials for 150-150
  std::vector<TimeoutRange> ranges;
  int jobs = 2;
  std::string out = ".";
  std::string trace_dir;  // --trace DIR: run only the first trial of the first range, traced
  TrialNetwork net;       // --latency-us, --jitter-us, --disk-sync-us for sensitivity runs
  // Give-up time of ranges without randomness (150-150): long enough for the curve to
  // reach the paper's axis (100 s), where the other ranges keep net.cap.
  Duration cap_no_random = std::chrono::seconds(100);
};

bool parse_us(const std::string& v, Duration& out) {
  int64_t us = 0;
  if (!absl::SimpleAtoi(v, &us) || us < 0) return false;
  out = std::chrono::microseconds(us);
  return true;
}

bool parse_seconds(const std::string& v, Duration& out) {
  int64_t s = 0;
  if (!absl::SimpleAtoi(v, &s) || s < 1 || s > 100000) return false;
  out = std::chrono::seconds(s);
  return true;
}

// The paper's two panels; 150-300 belongs to both and is run once.
std::vector<TimeoutRange> paper_ranges() {
  return {{150, 150}, {150, 151}, {150, 155}, {150, 175}, {150, 200},
          {150, 300}, {12, 24},   {25, 50},   {50, 100},  {100, 200}};
}

bool parse_ranges(const std::string& text, std::vector<TimeoutRange>& out) {
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    std::vector<absl::string_view> mm = absl::StrSplit(item, '-');
    TimeoutRange r;
    if (mm.size() != 2 || !absl::SimpleAtoi(mm[0], &r.min_ms) ||
        !absl::SimpleAtoi(mm[1], &r.max_ms) || r.min_ms < 2 || r.max_ms < r.min_ms) {
      return false;
    }
    out.push_back(r);
  }
  return !out.empty();
}

bool parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (!has_value) return false;
    const std::string v = argv[++i];
    bool ok = true;
    if (a == "--trials")
      ok = absl::SimpleAtoi(v, &o.trials) && o.trials > 0;
    else if (a == "--trials-no-random")
      ok = absl::SimpleAtoi(v, &o.trials_no_random);
    else if (a == "--ranges")
      ok = parse_ranges(v, o.ranges);
    else if (a == "--jobs")
      ok = absl::SimpleAtoi(v, &o.jobs) && o.jobs > 0 && o.jobs <= 64;
    else if (a == "--out")
      o.out = v;
    else if (a == "--trace")
      o.trace_dir = v;
    else if (a == "--latency-us")
      ok = parse_us(v, o.net.latency);
    else if (a == "--jitter-us")
      ok = parse_us(v, o.net.jitter);
    else if (a == "--disk-sync-us")
      ok = parse_us(v, o.net.disk_sync);
    else if (a == "--cap-no-random-s")
      ok = parse_seconds(v, o.cap_no_random);
    else
      ok = false;
    if (!ok) return false;
  }
  if (o.ranges.empty()) o.ranges = paper_ranges();
  return true;
}

struct Task {
  TimeoutRange range;
  int trial = 0;
  uint64_t seed = 0;  // of the attempt that counted
  TrialResult result;
  std::string error;
};

int trials_for(const Options& o, const TimeoutRange& r) {
  return r.min_ms == r.max_ms ? std::min(o.trials, o.trials_no_random) : o.trials;
}

void run_task(Task& t, TrialNetwork net, Duration cap_no_random) {
  if (t.range.min_ms == t.range.max_ms) net.cap = cap_no_random;
  const uint64_t range_seed =
      Rng::derive(kBaseSeed, static_cast<uint64_t>(t.range.min_ms) * 100000 + t.range.max_ms);
  for (int attempt = 0; attempt < kAttemptsMax; ++attempt) {
    t.seed = Rng::derive(range_seed, (static_cast<uint64_t>(attempt) << 32) | t.trial);
    absl::StatusOr<TrialResult> r = run_trial(t.range, net, t.seed);
    if (!r.ok()) {
      t.error = std::string(r.status().message());
      return;
    }
    t.result = *r;
    if (r->had_leader) return;
  }
  t.error = "no leader at the crash time in any attempt";
}

// Runs every task on `jobs` threads, each forking one child per trial.
void run_all(std::vector<Task>& tasks, const TrialNetwork& net, Duration cap_no_random, int jobs) {
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  auto worker = [&] {
    for (size_t i = next++; i < tasks.size(); i = next++) {
      run_task(tasks[i], net, cap_no_random);
      const size_t d = ++done;
      if (d % 250 == 0 || d == tasks.size())
        std::fprintf(stderr, "  %zu/%zu trials\n", d, tasks.size());
    }
  };
  std::vector<std::thread> threads;
  for (int j = 0; j < jobs; ++j) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
}

// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  const auto n = static_cast<double>(sorted.size());
  const auto rank = static_cast<size_t>(std::max(1.0, std::ceil(p / 100 * n)));
  return sorted[std::min(rank, sorted.size()) - 1];
}

bool write_trials(const std::string& path, const std::vector<Task>& tasks) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  std::fputs(
      "range,min_ms,max_ms,trial,seed,crash_s,leaderless_ms,censored,old_term,new_term,"
      "crashed,elected\n",
      f);
  for (const Task& t : tasks) {
    const TrialResult& r = t.result;
    std::fprintf(f, "%s,%d,%d,%d,%llu,%.6f,%.3f,%d,%lld,%lld,%s,%s\n", t.range.label().c_str(),
                 t.range.min_ms, t.range.max_ms, t.trial, static_cast<unsigned long long>(t.seed),
                 r.crash_s, r.leaderless_ms, r.censored ? 1 : 0, static_cast<long long>(r.old_term),
                 static_cast<long long>(r.new_term), r.crashed.c_str(), r.elected.c_str());
  }
  return std::fclose(f) == 0;
}

// One summary row per range; censored trials count as the cap (a lower bound).
bool write_summary(const std::string& path, const Options& o, const std::vector<Task>& tasks) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  const char* header =
      "range,min_ms,max_ms,trials,censored,split_trials,mean_ms,median_ms,p95_ms,p99_ms,max_ms\n";
  std::fputs(header, f);
  std::fputs(header, stdout);
  for (const TimeoutRange& range : o.ranges) {
    std::vector<double> v;
    int censored = 0, split = 0;
    double sum = 0;
    for (const Task& t : tasks) {
      if (t.range.label() != range.label()) continue;
      v.push_back(t.result.leaderless_ms);
      sum += t.result.leaderless_ms;
      censored += t.result.censored ? 1 : 0;
      split += (!t.result.censored && t.result.new_term > t.result.old_term + 1) ? 1 : 0;
    }
    if (v.empty()) continue;
    std::sort(v.begin(), v.end());
    for (std::FILE* out : {f, stdout}) {
      std::fprintf(out, "%s,%d,%d,%zu,%d,%d,%.1f,%.1f,%.1f,%.1f,%.1f\n", range.label().c_str(),
                   range.min_ms, range.max_ms, v.size(), censored, split,
                   sum / static_cast<double>(v.size()), percentile(v, 50), percentile(v, 95),
                   percentile(v, 99), v.back());
    }
  }
  return std::fclose(f) == 0;
}

int trace_one(const Options& o) {
  Task t{o.ranges.front(), 0, 0, {}, {}};
  const uint64_t range_seed =
      Rng::derive(kBaseSeed, static_cast<uint64_t>(t.range.min_ms) * 100000 + t.range.max_ms);
  t.seed = Rng::derive(range_seed, 0);
  absl::StatusOr<TrialResult> r = run_trial(t.range, o.net, t.seed, o.trace_dir);
  if (!r.ok()) return 1;
  std::printf("%s\n", encode_trial(*r).c_str());
  return 0;
}

int run(const Options& o) {
  if (!o.trace_dir.empty()) return trace_one(o);
  // Make sure the results can be written before spending minutes on the trials.
  std::error_code ec;
  std::filesystem::create_directories(o.out, ec);
  if (ec || access(o.out.c_str(), W_OK) != 0) {
    std::fprintf(stderr, "cannot write under %s: %s\n", o.out.c_str(),
                 ec ? ec.message().c_str() : std::strerror(errno));
    return 2;
  }
  const TrialNetwork& net = o.net;
  std::vector<Task> tasks;
  for (const TimeoutRange& r : o.ranges) {
    for (int i = 0; i < trials_for(o, r); ++i) tasks.push_back(Task{r, i, 0, {}, {}});
  }
  const auto start = std::chrono::steady_clock::now();
  run_all(tasks, net, o.cap_no_random, o.jobs);
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const Task& t : tasks) {
    if (t.error.empty()) continue;
    std::fprintf(stderr, "trial %s #%d (seed %llu): %s\n", t.range.label().c_str(), t.trial,
                 static_cast<unsigned long long>(t.seed), t.error.c_str());
    return 1;
  }
  if (!write_trials(o.out + "/trials.csv", tasks) ||
      !write_summary(o.out + "/summary.csv", o, tasks)) {
    std::fprintf(stderr, "cannot write CSVs under %s\n", o.out.c_str());
    return 1;
  }
  std::printf("%zu trials in %.1f s wall (%d jobs)\n", tasks.size(), wall_s, o.jobs);
  return 0;
}

}  // namespace
}  // namespace cairn::papers

int main(int argc, char** argv) {
  cairn::papers::Options o;
  if (!cairn::papers::parse_args(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: raft_election [--trials N] [--trials-no-random M] "
                 "[--ranges 150-300,12-24] [--cap-no-random-s S] [--jobs J] [--out DIR]\n");
    return 2;
  }
  return cairn::papers::run(o);
}
