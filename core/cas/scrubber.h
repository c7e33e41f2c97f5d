// The scrubber: re-reads every blob of a ShardStore on a bytes-per-second budget and
// reports rot, so that repair can act on it.
//
// A pass walks the store's digests in order (blobs put during a pass after the cursor are
// included, removed ones skipped). For each blob it reads the data in pieces of
// piece_bytes, hashing them (SHA-256 through Runtime::compute) and recomputing the block
// CRC32Cs, then reads the trailer: the blob is rotten if its bytes do not hash to its
// digest, or its trailer's footer or CRCs do not match. A rotten blob is quarantined
// (ShardStore::quarantine), counted (metric cas_scrub_rot), traced (event cas_scrub_rot
// with the digest and reason) and handed to on_rot. A blob the disk cannot read (DataLoss
// from the disk) is counted (cas_scrub_read_errors) and retried next pass.
//
// A virtual blob (shard_store.h) is read and paced the same way, and costs the same
// hashing time, but has no bytes to hash: it is rotten only if the disk reports damage to
// its bytes (RangeBytes::rotten: a fault hit them) or its trailer is not a virtual one.
//
// Budget: after reading n bytes the scrubber waits n / bytes_per_second before its next
// read, so it never reads faster than that on average; one read of at most piece_bytes
// is in flight at once. Each pass ends with an event cas_scrub_pass (blobs, bytes, rot).
//
// Threading: the store's thread. REQUIRES: the store outlives the scrubber. Destroying
// the scrubber stops it (pending steps then do nothing).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "core/cas/shard_store.h"

namespace cairn::cas {

struct ScrubberOptions {
  double bytes_per_second = 50e6;
  uint64_t piece_bytes = 1 << 20;                           // a multiple of kBlockBytes
  Duration rest_between_passes = std::chrono::minutes(10);  // start(): pause between passes
};

struct ScrubReport {
  uint64_t blobs = 0;  // blobs checked whole
  uint64_t bytes = 0;  // data bytes read
  uint64_t rot = 0;    // blobs found rotten (quarantined)
  uint64_t read_errors = 0;
};

class Scrubber {
 public:
  using OnRot = std::function<void(const Digest&)>;
  using PassDone = std::function<void(ScrubReport)>;

  Scrubber(ShardStore& store, ScrubberOptions options, OnRot on_rot);
  // Stops: steps still queued find their pass stopped and do nothing.
  ~Scrubber() { stop(); }
  Scrubber(const Scrubber&) = delete;
  Scrubber& operator=(const Scrubber&) = delete;

  // One pass over the store. REQUIRES: no pass running.
  void run_pass(PassDone done);
  // Passes forever, resting between them, until stop().
  void start();
  void stop();
  bool running() const { return pass_ != nullptr; }

 private:
  struct Pass;
  void next_blob(std::shared_ptr<Pass> p);
  void read_piece(std::shared_ptr<Pass> p);
  void read_virtual_piece(std::shared_ptr<Pass> p, uint64_t n);
  void piece_done(std::shared_ptr<Pass> p, uint64_t n);
  void read_failed(std::shared_ptr<Pass> p, const Digest& d, const absl::Status& st);
  void check_trailer(std::shared_ptr<Pass> p);
  void check_virtual_trailer(std::shared_ptr<Pass> p);
  void rotten(std::shared_ptr<Pass> p, const std::string& reason);
  void pace(std::shared_ptr<Pass> p, uint64_t bytes, std::function<void()> fn);

  ShardStore& store_;
  Runtime& rt_;
  ScrubberOptions options_;
  OnRot on_rot_;
  std::shared_ptr<Pass> pass_;
  bool looping_ = false;
  TimerId rest_timer_ = kNoTimer;
};

}  // namespace cairn::cas
