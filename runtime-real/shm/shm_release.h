// Frees a shared-memory ring's space in ring order while the frames read out of it are
// released in any order, on any thread.
//
// A ring's consumer hands some payloads out in place (they alias the ring) and copies the
// rest. pin() records a frame handed out in place and returns the owner its payload holds;
// pass() records bytes that were copied out. The ring's tail (the bytes the producer may
// overwrite) advances over the longest prefix of records that are released: a pinned
// frame when the last copy of its owner goes, a passed range at once. Owners keep the
// ring's mapping alive, so a payload stays readable after its ring closed and its reader
// is gone. One mutex guards the records; while nothing is pinned, pass() frees without it.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "runtime-real/shm/shm_ring.h"

namespace cairn::real {

class RingReleases : public std::enable_shared_from_this<RingReleases> {
 public:
  explicit RingReleases(std::shared_ptr<ShmRing> ring);
  RingReleases(const RingReleases&) = delete;
  RingReleases& operator=(const RingReleases&) = delete;

  // The consumer's thread. The frame that ends at absolute ring position `end` (after
  // everything recorded before) is handed out in place: its bytes stay unwritten until the
  // returned owner and every copy of it are gone (any thread may drop the last one).
  std::shared_ptr<const void> pin(uint64_t end);
  // The consumer's thread. Everything up to `end` was copied out: free it as soon as no
  // earlier frame is pinned. REQUIRES: `end` is at or after every position recorded before.
  void pass(uint64_t end);
  // Frames handed out in place and not released yet.
  size_t pinned() const { return pinned_.load(std::memory_order_acquire); }
  const std::shared_ptr<ShmRing>& ring() const { return ring_; }

 private:
  struct Record {
    uint64_t end;
    bool released;
  };
  void release(uint64_t seq);

  const std::shared_ptr<ShmRing> ring_;
  absl::Mutex mu_;
  // Records not yet freed, oldest first; record `seq` is at index seq - first_seq_.
  std::deque<Record> records_ ABSL_GUARDED_BY(mu_);
  uint64_t first_seq_ ABSL_GUARDED_BY(mu_) = 0;
  // Decremented last, under mu_, so that seeing 0 means no release is under way and no
  // record is left: the consumer may then free without the mutex.
  std::atomic<size_t> pinned_{0};
};

}  // namespace cairn::real
