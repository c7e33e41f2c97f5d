#include "runtime-real/shm/shm_release.h"

#include <utility>

#include "core/base/assert.h"

namespace cairn::real {

RingReleases::RingReleases(std::shared_ptr<ShmRing> ring) : ring_(std::move(ring)) {
  CAIRN_ASSERT(ring_ != nullptr);
}

std::shared_ptr<const void> RingReleases::pin(uint64_t end) {
  uint64_t seq = 0;
  {
    absl::MutexLock lock(&mu_);
    CAIRN_ASSERT(records_.empty() || records_.back().end <= end);
    seq = first_seq_ + records_.size();
    records_.push_back(Record{end, false});
    pinned_.fetch_add(1, std::memory_order_relaxed);
  }
  // The owner points at the ring (any non-null address would do) and its deleter keeps
  // this object, and with it the ring's mapping, alive.
  return std::shared_ptr<const void>(
      ring_.get(), [self = shared_from_this(), seq](const void*) { self->release(seq); });
}

void RingReleases::pass(uint64_t end) {
  if (pinned_.load(std::memory_order_acquire) == 0) {
    ring_->release_to(end);  // nothing pinned, no release running: the tail is ours
    return;
  }
  absl::MutexLock lock(&mu_);
  if (records_.empty()) {
    ring_->release_to(end);
  } else if (records_.back().released) {
    CAIRN_ASSERT(records_.back().end <= end);
    records_.back().end = end;  // extends the passed range at the back
  } else {
    records_.push_back(Record{end, true});
  }
}

void RingReleases::release(uint64_t seq) {
  absl::MutexLock lock(&mu_);
  CAIRN_ASSERT(seq >= first_seq_ && seq - first_seq_ < records_.size());
  Record& r = records_[seq - first_seq_];
  CAIRN_ASSERT(!r.released);
  r.released = true;
  bool freed = false;
  uint64_t freed_to = 0;
  while (!records_.empty() && records_.front().released) {
    freed_to = records_.front().end;
    freed = true;
    records_.pop_front();
    ++first_seq_;
  }
  if (freed) ring_->release_to(freed_to);
  pinned_.fetch_sub(1, std::memory_order_release);
}

}  // namespace cairn::real
