// One trial of Figure 16 of the Raft paper (Ongaro & Ousterhout, USENIX ATC 2014), run in
// cairn-sim: five meta nodes elect a leader and run steadily; the leader crashes at a time
// drawn from the trial's seed, uniformly within one heartbeat interval; the trial measures
// how long the group stays without a leader (crash until the next `raft_leader` event).
//
// The scenario is built in code (no YAML). Each trial runs in its own forked child (one
// SimGrid engine per process) and ends as soon as the new leader is known. Same setup
// and seed give the same result.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "core/runtime/time.h"
#include "runtime-sim/scenario.h"

namespace cairn::papers {

// Election timeouts drawn uniformly from [min_ms, max_ms].
struct TimeoutRange {
  int min_ms = 150;
  int max_ms = 300;
  std::string label() const;  // "150-300"
};

// The network and timing of every trial (see README.md for the choice of numbers).
struct TrialNetwork {
  Duration latency = std::chrono::microseconds(7000);  // fixed part of one-way delay
  Duration jitter = std::chrono::microseconds(800);    // plus uniform [0, jitter]
  Duration disk_sync = std::chrono::microseconds(200);
  Duration tick = std::chrono::milliseconds(1);
  Duration warmup = std::chrono::seconds(1);         // the crash comes this long after start
  Duration stagger = std::chrono::milliseconds(50);  // n2..n5 start this much after n1
  Duration cap = std::chrono::seconds(10);           // give up this long after the crash
};

struct TrialResult {
  bool had_leader = false;   // false: no leader at the crash time (trial not usable)
  bool censored = false;     // no new leader within the cap
  double crash_s = 0;        // simulated time of the crash
  double leaderless_ms = 0;  // crash until the new leader's raft_leader event (cap if censored)
  int64_t old_term = 0;      // term of the crashed leader
  int64_t new_term = 0;      // term of the new leader (new - old - 1 = failed elections)
  std::string crashed;       // node name of the crashed leader
  std::string elected;       // node name of the new leader
};

// Heartbeat interval: half the minimum election timeout, as in the paper (whole ms).
Duration heartbeat_for(const TimeoutRange& range);

// The scenario of one trial; `crash_at` receives the drawn crash time.
sim::Scenario make_trial_scenario(const TimeoutRange& range, const TrialNetwork& net, uint64_t seed,
                                  Duration* crash_at);

// Runs one trial in a forked child. Internal error if the child fails. A non-empty
// `trace_dir` keeps the run's events.jsonl there (to look at one trial closely).
absl::StatusOr<TrialResult> run_trial(const TimeoutRange& range, const TrialNetwork& net,
                                      uint64_t seed, const std::string& trace_dir = "");

// TrialResult to and from one line of text (used across the child's pipe).
std::string encode_trial(const TrialResult& r);
absl::StatusOr<TrialResult> decode_trial(const std::string& text);

}  // namespace cairn::papers
