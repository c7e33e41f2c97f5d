// The settings of node scoring, `raft.score` (docs/settings.md, docs/node-score.md):
// how often the meta leader re-weights the storage nodes, over which window it measures
// them, and how far a weight may move per step. Kept apart from the service so the meta
// role's options stay a light header.
#pragma once

#include "absl/status/status.h"
#include "core/base/settings.h"
#include "core/runtime/time.h"

namespace cairn::repair {

struct FeedOptions;  // score_feed.h

// Liveness samples and probes per interval.
inline constexpr int kScoreSamplesPerInterval = 5;

// Settings `raft.score` (docs/settings.md).
struct ScoreSettings {
  Duration interval{0};                       // between weight steps; 0: no scoring
  Duration window = std::chrono::minutes(5);  // of liveness samples and probe round trips
  double max_step = 0.10;
  double hysteresis = 0.05;
  Duration reference_latency = std::chrono::milliseconds(10);
  uint64_t reference_bandwidth_bytes = 200'000'000;  // a second

  void visit(SettingsVisitor& v);
  // InvalidArgument naming the key (score.<key>).
  absl::Status validate() const;
  FeedOptions feed() const;
};

}  // namespace cairn::repair
