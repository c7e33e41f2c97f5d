#include "papers/raft-election/election_trial.h"

#include <string_view>
#include <variant>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/base/assert.h"
#include "core/runtime/rng.h"
#include "runtime-sim/fork_runner.h"
#include "runtime-sim/world.h"

namespace cairn::papers {
namespace {

using sim::Fault;
using sim::FaultKind;

std::string text_field(const Event& e, std::string_view key) {
  const EventField* f = e.find(key);
  if (f == nullptr || !std::holds_alternative<std::string>(f->value)) return "";
  return std::get<std::string>(f->value);
}

int64_t int_field(const Event& e, std::string_view key) {
  const EventField* f = e.find(key);
  if (f == nullptr || !std::holds_alternative<int64_t>(f->value)) return 0;
  return std::get<int64_t>(f->value);
}

// Follows the events of one run (inside the child): the leader before the crash, the crash
// of the leader, and the first leader elected after it. Asks the run to stop once known.
class ElectionWatch {
 public:
  explicit ElectionWatch(Time crash_at) : crash_at_(crash_at) {}

  bool on_event(Time at, std::string_view node, const Event& e) {
    if (e.kind == "raft_leader") return on_leader(at, node, e);
    // The controller's clock is a double: allow for rounding at the crash instant.
    if (at < crash_at_ - kSlack || at > crash_at_ + kSlack) return false;
    if (e.kind == "fault_skipped") return true;  // no leader to crash: the trial is void
    if (e.kind == "fault" && text_field(e, "fault") == "crash") {
      crashed_ = true;
      result_.had_leader = true;
      result_.crash_s = to_seconds(at.time_since_epoch());
      result_.crashed = text_field(e, "targets");
    }
    return false;
  }

  TrialResult result(Duration cap) const {
    TrialResult r = result_;
    if (r.had_leader && r.elected.empty()) {
      r.censored = true;
      r.leaderless_ms = to_seconds(cap) * 1e3;
    }
    return r;
  }

 private:
  bool on_leader(Time at, std::string_view node, const Event& e) {
    if (!crashed_) {
      result_.old_term = int_field(e, "term");
      return false;
    }
    result_.elected = std::string(node);
    result_.new_term = int_field(e, "term");
    result_.leaderless_ms = to_seconds(at - crash_at_) * 1e3;
    return true;
  }

  static constexpr Duration kSlack = std::chrono::microseconds(1);
  Time crash_at_;
  bool crashed_ = false;
  TrialResult result_;
};

Fault make_fault(FaultKind kind, Duration at, std::vector<NodeId> nodes) {
  Fault f;
  f.kind = kind;
  f.at = at;
  f.nodes = std::move(nodes);
  return f;
}

}  // namespace

std::string TimeoutRange::label() const { return absl::StrCat(min_ms, "-", max_ms); }

Duration heartbeat_for(const TimeoutRange& range) {
  return std::chrono::milliseconds(range.min_ms / 2);
}

sim::Scenario make_trial_scenario(const TimeoutRange& range, const TrialNetwork& net, uint64_t seed,
                                  Duration* crash_at) {
  CAIRN_ASSERT(range.min_ms >= 2 && range.max_ms >= range.min_ms);
  CAIRN_ASSERT(crash_at != nullptr);
  sim::Scenario s;
  s.name = absl::StrCat("raft-election-", range.label());
  s.file = "<generated>";
  s.seed = seed;
  for (NodeId i = 1; i <= 5; ++i) s.nodes.push_back({i, absl::StrCat("n", i), "a", {"meta"}});
  s.link.latency = net.latency;
  s.network.jitter = net.jitter;
  s.disk.sync_latency = net.disk_sync;
  raft::GroupOptions& g = s.meta().raft;
  g.tick = net.tick;
  g.election_timeout_min = std::chrono::milliseconds(range.min_ms);
  g.election_timeout_max = std::chrono::milliseconds(range.max_ms);
  g.heartbeat = heartbeat_for(range);
  g.pre_vote = false;
  g.check_quorum = false;
  g.snapshot_every = 0;
  // n1 starts alone and the others `stagger` later, so that n1 wins the first election
  // even without randomness (150-150 would otherwise split its first vote for seconds).
  s.faults.push_back(make_fault(FaultKind::kCrash, Duration(0), {2, 3, 4, 5}));
  s.faults.push_back(make_fault(FaultKind::kRestart, net.stagger, {2, 3, 4, 5}));
  // The crash lands uniformly within one heartbeat interval of the steady state.
  Rng rng(Rng::derive(seed, 0xF16));
  const auto hb_ns = static_cast<uint64_t>(heartbeat_for(range).count());
  *crash_at = net.warmup + Duration(static_cast<int64_t>(rng.below(hb_ns)));
  Fault crash = make_fault(FaultKind::kCrash, *crash_at, {});
  crash.target_leader = true;
  s.faults.push_back(crash);
  s.duration = *crash_at + net.cap;
  CAIRN_ASSERT(sim::validate(s).ok());
  return s;
}

absl::StatusOr<TrialResult> run_trial(const TimeoutRange& range, const TrialNetwork& net,
                                      uint64_t seed, const std::string& trace_dir) {
  Duration crash_at{};
  const sim::Scenario scenario = make_trial_scenario(range, net, seed, &crash_at);
  auto text = sim::run_in_child([&] {
    ElectionWatch watch{Time(crash_at)};
    sim::RunOptions options;
    options.out_dir = trace_dir;
    options.on_event = [&watch](Time at, std::string_view node, const Event& e) {
      return watch.on_event(at, node, e);
    };
    sim::run_scenario(scenario, options);
    return encode_trial(watch.result(net.cap));
  });
  if (!text.ok()) return text.status();
  return decode_trial(*text);
}

std::string encode_trial(const TrialResult& r) {
  return absl::StrFormat("%d %d %.9f %.6f %d %d %s %s", r.had_leader ? 1 : 0, r.censored ? 1 : 0,
                         r.crash_s, r.leaderless_ms, r.old_term, r.new_term,
                         r.crashed.empty() ? "-" : r.crashed, r.elected.empty() ? "-" : r.elected);
}

absl::StatusOr<TrialResult> decode_trial(const std::string& text) {
  std::vector<std::string> f = absl::StrSplit(text, ' ');
  if (f.size() != 8) return absl::InvalidArgumentError(absl::StrCat("bad trial: ", text));
  TrialResult r;
  r.had_leader = f[0] == "1";
  r.censored = f[1] == "1";
  const bool ok = absl::SimpleAtod(f[2], &r.crash_s) && absl::SimpleAtod(f[3], &r.leaderless_ms) &&
                  absl::SimpleAtoi(f[4], &r.old_term) && absl::SimpleAtoi(f[5], &r.new_term);
  if (!ok) return absl::InvalidArgumentError(absl::StrCat("bad trial: ", text));
  r.crashed = f[6] == "-" ? "" : f[6];
  r.elected = f[7] == "-" ? "" : f[7];
  return r;
}

}  // namespace cairn::papers
