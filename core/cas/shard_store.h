// The shard store: a node's content-addressed blob store, on the Runtime's Disk only.
//
// A blob's name is its Digest (SHA-256 + size). Layout and file format: blob_format.h.
//
// Promises:
//   - A blob is visible under its digest only once its bytes hashed to it: a put writes a
//     temporary file, syncs it, renames it into place and syncs the directory, and reports
//     success only after that. After a crash at any point a blob is either whole and
//     correct or absent; a blob whose put succeeded survives a crash.
//   - A put of a digest already present stores nothing and says so (deduplicated). Such a
//     put is not hashed: it cannot change what is stored.
//   - Every read verifies what it serves: a range read checks the CRC32C of each 64 KiB
//     block it touches; the SHA-256 of a whole blob is checked at put and by the scrubber
//     (scrubber.h). A mismatch is DataLoss, and the blob is quarantined at once (moved out
//     of the index and to <root>/quarantine/): it is never served again.
//   - recover() removes leftover temporaries, rebuilds the index from the directory (a blob
//     file of the wrong size or with a bad footer is quarantined) and logs the counts.
//   - Virtual blobs (simulation only): a put whose pieces are virtual payloads (a length,
//     no bytes; core/runtime/message.h) stores a virtual blob on a disk that keeps virtual
//     bytes (the simulator's): its content address is the digest the put names, trusted
//     since there are no bytes to hash, and its size is checked as for real bytes. It
//     costs what a real blob of its size costs (hashing time, disk time, capacity), is
//     deduplicated, recovered and quarantined alike, and reads give a virtual payload of
//     the range's length (read_payload). Where a real blob checks CRCs, a virtual one
//     asks the disk whether a fault damaged the bytes read (RangeBytes::rotten): that is
//     DataLoss and quarantine, as a checksum mismatch is. On a disk of real bytes
//     (cairnd's) a virtual put is InvalidArgument and stores nothing.
//   - Capacity: blob files plus the space reserved by open puts never exceed
//     capacity_bytes; a put that does not fit, or that the disk refuses, is
//     ResourceExhausted and leaves nothing behind (its temporary is removed).
//
// Statuses:
//   NotFound            no blob with that digest (get, read_range, remove).
//   OutOfRange          offset + length beyond the blob's size.
//   DataLoss            the blob's bytes failed their checksum (now quarantined), or the
//                       disk could not read them; at put, the disk lost part of the file.
//   ResourceExhausted   the blob does not fit (store capacity or disk full).
//   InvalidArgument     the bytes do not hash to the digest, or their length differs from
//                       its size (nothing stored); a piece or read over the limits below;
//                       a piece mixing real and virtual bytes, or of the other kind than
//                       the put's earlier pieces; read_range() of a virtual blob; a
//                       virtual put on a disk that stores real bytes only.
//   FailedPrecondition  the store is not recovered yet; an unknown or closed put; a step
//                       of a put issued while its previous step is in flight.
//   Unavailable         max_ops_in_flight operations are in flight already, or
//                       max_open_puts puts are open: retry later.
//
// Bounds (ShardStoreOptions): at most max_ops_in_flight operations at once, each holding
// at most max_piece_bytes (append) or max_read_bytes + 2 blocks (read) in memory; at most
// max_open_puts streaming puts; blobs of at most max_blob_bytes.
//
// Threading: single-threaded on the Runtime's thread, never blocks; every callback runs
// later (never inline), through the Runtime. REQUIRES: the store outlives its operations.
// Hashing runs through Runtime::compute, costed at the measured SHA-256 speed.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/cas/digest.h"
#include "core/runtime/runtime.h"

namespace cairn::cas {

struct ShardStoreOptions {
  std::string root = "cas";
  uint64_t capacity_bytes = UINT64_MAX;
  uint32_t max_ops_in_flight = 64;
  uint32_t max_open_puts = 16;
  uint64_t max_piece_bytes = 1 << 20;
  uint64_t max_read_bytes = 4 << 20;
  uint64_t max_blob_bytes = 256 << 20;
};

struct PutResult {
  bool deduplicated = false;  // the digest was present already: nothing was written
};

struct StoreStats {
  uint64_t blobs = 0;
  uint64_t used_bytes = 0;      // blob files in the index (data + trailer)
  uint64_t reserved_bytes = 0;  // promised to open puts
  uint64_t capacity_bytes = 0;
  uint64_t quarantined = 0;  // blobs quarantined since start-up
};

struct RecoveryReport {
  uint64_t blobs = 0;
  uint64_t temporaries_removed = 0;
  uint64_t quarantined = 0;    // found bad now
  uint64_t in_quarantine = 0;  // already there from earlier runs
};

// Simulated CPU cost of hashing `bytes` with SHA-256 (1.5 GB/s measured, on the
// simulator's reference CPU of 1 Gflop/s).
Cost sha256_cost(uint64_t bytes);

class ShardStore {
 public:
  using PutId = uint64_t;
  using Done = std::function<void(absl::Status)>;
  using PutDone = std::function<void(absl::StatusOr<PutResult>)>;
  using ReadDone = std::function<void(absl::StatusOr<std::string>)>;
  using PayloadDone = std::function<void(absl::StatusOr<Payload>)>;
  using RecoverDone = std::function<void(absl::StatusOr<RecoveryReport>)>;

  ShardStore(Runtime& runtime, ShardStoreOptions options);
  explicit ShardStore(Runtime& runtime) : ShardStore(runtime, ShardStoreOptions{}) {}
  ~ShardStore();
  ShardStore(const ShardStore&) = delete;
  ShardStore& operator=(const ShardStore&) = delete;

  // Start-up: must complete before any other operation. REQUIRES: called once.
  void recover(RecoverDone done);

  // Stores a whole blob (streamed to disk in pieces of max_piece_bytes).
  void put(const Digest& digest, Payload bytes, PutDone done);

  // Streaming put: begin, append the bytes in order (one append at a time), then commit;
  // abort (or any failed step) leaves nothing behind. Space is reserved at begin.
  absl::StatusOr<PutId> begin_put(const Digest& digest);
  void append(PutId id, Payload piece, Done done);
  void commit(PutId id, PutDone done);
  void abort(PutId id, Done done);

  // The whole blob. REQUIRES (else InvalidArgument): size <= max_read_bytes.
  void get(const Digest& digest, ReadDone done);
  // `length` bytes at `offset`. REQUIRES (else InvalidArgument): length <= max_read_bytes,
  // and the blob is real.
  void read_range(const Digest& digest, uint64_t offset, uint64_t length, ReadDone done);
  // read_range() for a real or a virtual blob: a virtual blob's range comes back as a
  // payload of `length` virtual bytes.
  void read_payload(const Digest& digest, uint64_t offset, uint64_t length, PayloadDone done);
  void remove(const Digest& digest, Done done);
  // remove(), unless the blob was stored, deduplicated against or recovered less than
  // `idle_for` ago: then FailedPrecondition, and the blob stays. Garbage collection deletes
  // only through this, so a put that found the blob present (and whose reference is not
  // committed yet) keeps it for the grace period.
  void remove_if_idle(const Digest& digest, Duration idle_for, Done done);

  // Moves a blob out of service (the scrubber's and readers' verdict). OK if absent.
  void quarantine(const Digest& digest, const std::string& reason, Done done);

  bool contains(const Digest& digest) const;
  // Whether recovery has finished: before, contains() is false for every blob.
  bool is_open() const { return state_ == State::kOpen; }
  // Whether the blob is virtual (false if absent).
  bool is_virtual(const Digest& digest) const;
  // The smallest present digest after `cursor` (the first with nullopt): a walk that
  // tolerates puts and removes between steps.
  std::optional<Digest> next_after(const std::optional<Digest>& cursor) const;
  StoreStats stats() const;
  const ShardStoreOptions& options() const { return options_; }
  Runtime& runtime() { return rt_; }
  void check_invariants() const;

 private:
  struct PutStream;
  struct Recovery;
  struct Blob {
    uint64_t file_bytes = 0;
    bool is_virtual = false;
    Time touched{};  // last stored, deduplicated against, or found at recovery
  };
  enum class State { kNew, kRecovering, kOpen };

  absl::Status check_open() const;
  // Whether `digest` is in the index; if so, marks it used now (remove_if_idle).
  bool touch(const Digest& digest);
  bool try_begin_op();
  void later(std::function<void()> fn);
  // Removes put `id` from the open puts and releases its reservation.
  std::unique_ptr<PutStream> take_stream(PutId id);
  void discard_stream(PutId id, absl::Status status, Done done);
  // Appends the trailer's parts in order, then syncs, checks and publishes.
  void write_trailer(PutId id, std::vector<Payload> trailer, PutDone end);
  void rename_into_place(PutId id, PutDone end, std::function<void(absl::Status)> fail);
  void publish(PutId id, absl::Status synced, PutDone end);
  void put_next_piece(PutId id, Payload bytes, uint64_t offset, PutDone done);
  void recover_step(std::shared_ptr<Recovery> r, size_t i);
  void recover_finish(std::shared_ptr<Recovery> r);
  // OK, or why `length` bytes at `offset` of `digest` cannot be read (without an op).
  absl::Status check_read(const Digest& digest, uint64_t offset, uint64_t length) const;
  // A real blob's range, as the disk gave it (no copy when the range is whole blocks).
  void read_real(const Digest& digest, uint64_t offset, uint64_t length, PayloadDone end);
  void read_virtual(const Digest& digest, uint64_t offset, uint64_t length, PayloadDone end);
  // The status a reader gets for a disk error `st` on a blob in the index.
  absl::Status read_failed(const Digest& digest, absl::Status st);
  absl::Status rotten(const Digest& digest, const std::string& reason);
  void verify_blocks(const Digest& digest, uint64_t offset, uint64_t length, uint64_t first_block,
                     std::string_view crcs, Payload data, PayloadDone done);

  Runtime& rt_;
  ShardStoreOptions options_;
  State state_ = State::kNew;
  std::map<Digest, Blob> index_;  // ordered for next_after
  using PutMap = std::map<PutId, std::unique_ptr<PutStream>>;
  // FailedPrecondition unless `it` (found for `id`) is an open put with no step in flight.
  absl::Status idle_put(PutId id, PutMap::const_iterator it) const;
  // InvalidArgument for a piece that mixes kinds, too large, or past the blob's size.
  absl::Status check_piece(const PutStream& s, const Payload& piece) const;
  PutMap puts_;
  PutId next_put_id_ = 1;
  uint64_t used_bytes_ = 0;
  uint64_t reserved_bytes_ = 0;
  uint64_t quarantined_ = 0;
  uint32_t ops_in_flight_ = 0;
  mutable uint64_t invariant_checks_ = 0;  // calls of check_invariants(), to pace its walk
};

}  // namespace cairn::cas
