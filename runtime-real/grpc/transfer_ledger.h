// TransferLedger: progress and statistics of the data plane's transfers (docs/grpc.md):
// per transfer the bytes moved of how many, the rate since it began and the time left at
// that rate; per node the bytes moved each way, transfers active, done and failed, tokens
// refused, and the rate of the active transfers together.
//
// Promises: a transfer is listed from begin() until `keep_finished` later transfers have
// finished after it; rates and times are computed from the times given, never a clock.
// Pure: no clock, no locking (the data plane serialises its calls).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/cas/digest.h"
#include "runtime-real/grpc/transfer_tokens.h"

namespace cairn::real::reapi {

struct TransferProgress {
  std::string id;
  TransferDirection direction = TransferDirection::kUpload;
  bool shared_memory = false;
  cas::Digest digest;
  uint64_t bytes_done = 0;
  int64_t begun_ms = 0;
  int64_t ended_ms = -1;  // -1 while active
  absl::Status outcome;   // once ended

  bool finished() const { return ended_ms >= 0; }
  int64_t elapsed_ms(int64_t now_ms) const { return (finished() ? ended_ms : now_ms) - begun_ms; }
  // Bytes per second since begin (0 before a millisecond has passed).
  double rate(int64_t now_ms) const;
  // Milliseconds left at rate(); -1 while the rate is unknown, 0 once finished.
  int64_t time_left_ms(int64_t now_ms) const;
};

struct NodeTransferTotals {
  uint64_t bytes_uploaded = 0;
  uint64_t bytes_downloaded = 0;
  uint64_t active = 0;
  uint64_t done = 0;
  uint64_t failed = 0;
  uint64_t tokens_refused = 0;
};

class TransferLedger {
 public:
  explicit TransferLedger(size_t keep_finished = 64) : keep_finished_(keep_finished) {}

  // Starts transfer `id` (REQUIRES: new).
  void begin(const std::string& id, TransferDirection direction, bool shared_memory,
             const cas::Digest& digest, int64_t now_ms);
  // `bytes` more moved by transfer `id` (ignored once it ended or if unknown).
  void add(const std::string& id, uint64_t bytes);
  // Ends transfer `id` with `outcome` (failed unless OK).
  void end(const std::string& id, const absl::Status& outcome, int64_t now_ms);
  void token_refused() { ++totals_.tokens_refused; }

  // Active transfers (oldest first), then finished ones (latest first); `id` non-empty:
  // that one alone, if known.
  std::vector<TransferProgress> list(const std::string& id = "") const;
  const NodeTransferTotals& totals() const { return totals_; }
  // Bytes per second of the active transfers together.
  double active_rate(int64_t now_ms) const;

 private:
  const size_t keep_finished_;
  std::map<std::string, TransferProgress> active_;
  std::deque<TransferProgress> finished_;  // latest first
  NodeTransferTotals totals_;
};

}  // namespace cairn::real::reapi
