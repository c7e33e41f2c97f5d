#include "runtime-real/grpc/transfer_ledger.h"

#include <algorithm>

#include "core/base/assert.h"

namespace cairn::real::reapi {

double TransferProgress::rate(int64_t now_ms) const {
  const int64_t ms = elapsed_ms(now_ms);
  return ms > 0 ? double(bytes_done) * 1000.0 / double(ms) : 0.0;
}

int64_t TransferProgress::time_left_ms(int64_t now_ms) const {
  if (finished()) return 0;
  const double r = rate(now_ms);
  if (r <= 0) return -1;
  const uint64_t left = digest.size_bytes() - std::min(bytes_done, digest.size_bytes());
  return static_cast<int64_t>(double(left) * 1000.0 / r + 0.5);
}

void TransferLedger::begin(const std::string& id, TransferDirection direction, bool shared_memory,
                           const cas::Digest& digest, int64_t now_ms) {
  TransferProgress p;
  p.id = id;
  p.direction = direction;
  p.shared_memory = shared_memory;
  p.digest = digest;
  p.begun_ms = now_ms;
  const bool fresh = active_.emplace(id, std::move(p)).second;
  CAIRN_ASSERT(fresh);
  ++totals_.active;
}

void TransferLedger::add(const std::string& id, uint64_t bytes) {
  auto it = active_.find(id);
  if (it == active_.end()) return;
  it->second.bytes_done += bytes;
  if (it->second.direction == TransferDirection::kUpload) {
    totals_.bytes_uploaded += bytes;
  } else {
    totals_.bytes_downloaded += bytes;
  }
}

void TransferLedger::end(const std::string& id, const absl::Status& outcome, int64_t now_ms) {
  auto it = active_.find(id);
  if (it == active_.end()) return;
  TransferProgress p = std::move(it->second);
  active_.erase(it);
  --totals_.active;
  p.ended_ms = now_ms;
  p.outcome = outcome;
  ++(outcome.ok() ? totals_.done : totals_.failed);
  finished_.push_front(std::move(p));
  if (finished_.size() > keep_finished_) finished_.pop_back();
}

std::vector<TransferProgress> TransferLedger::list(const std::string& id) const {
  std::vector<TransferProgress> out;
  for (const auto& [k, p] : active_) {
    if (id.empty() || k == id) out.push_back(p);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.begun_ms < b.begun_ms; });
  for (const auto& p : finished_) {
    if (id.empty() || p.id == id) out.push_back(p);
  }
  return out;
}

double TransferLedger::active_rate(int64_t now_ms) const {
  double sum = 0;
  for (const auto& [k, p] : active_) sum += p.rate(now_ms);
  return sum;
}

}  // namespace cairn::real::reapi
