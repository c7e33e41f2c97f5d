// The coordinator: any storage node turns a client's chunk into placed, checksummed shards
// and turns shards back into the chunk's bytes. Written against ShardClient, so it runs the
// same in the simulator, on real nodes and in unit tests with a fake.
//
// Write (put_chunk):
//   1. the chunk's bytes must hash to its digest (else InvalidArgument, nothing stored);
//   2. the storage mode is the caller's or, by default, replication with factor r for
//      chunks under `replicate_below_bytes` and Reed-Solomon k + m above;
//   3. the chunk is encoded (StripeEncoder: data shards alias the chunk, parity in pooled
//      buffers) and each shard hashed, off the node's thread (Runtime::compute);
//   4. shards go to distinct nodes in the placement policy's order (which spreads them over
//      zones, then racks), skipping nodes the failure detector holds down, all in parallel;
//      a shard whose put fails before the acknowledgement moves to the next node in order;
//   5. the write is acknowledged once `quorum` shards are stored (default k + 1 of k + m,
//      2 of 3 replicas; at most all). Shards still in flight finish in the background;
//      one that fails is retried on its node with back-off, and the chunk is listed by
//      incomplete() until every shard is stored (repair takes over from there).
//   With mirror_pairs, slots 2i and 2i + 1 of shard i go to the two nodes of one pair
//   (a slot whose node is down moves to the next up node of the pairs' order).
//   A write that can no longer reach its quorum fails: ResourceExhausted if every refusal
//   was a full node, Unavailable otherwise. Nothing acknowledged is ever taken back.
//
// Read (read_chunk, any byte range):
//   - the two copies of a mirrored shard are alternatives: a copy that fails (or sits on a
//     down node) is replaced by its partner before the code is used;
//   - only the shards holding the range are asked for (for a range inside one data shard,
//     only that shard and only those bytes; a range across shards reads those shards
//     whole); replicas are alternatives of one another;
//   - a shard that fails (NotFound, DataLoss, Unavailable, no answer) is replaced by
//     another shard; a shard later than the observed p95 of shard reads is hedged with one
//     extra request; the missing data is rebuilt from any k shards by reconstructing only
//     the missing shards' bytes for the range, never a full decode when data shards answer;
//   - a read of the whole chunk is checked against the chunk's digest;
//   - fewer than k shards intact: DataLoss when more than m shards are known lost or
//     corrupt, Unavailable when some could not be reached (they may come back). Never wrong
//     bytes.
//
// Bounds: at most max_chunks_in_flight writes and reads at once (beyond: Unavailable).
// Threading: the node's thread; callbacks run later, never inside the call.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/cas/digest.h"
#include "core/erasure/codec.h"
#include "core/erasure/stripe_encoder.h"
#include "core/placement/policy.h"
#include "core/runtime/buffer_pool.h"
#include "core/runtime/runtime.h"
#include "core/storage/chunk_layout.h"
#include "core/storage/shard_client.h"

namespace cairn::storage {

struct CoordinatorOptions {
  uint64_t replicate_below_bytes = 1 << 20;  // default mode: replicate smaller chunks
  int replicas = 3;
  int data_shards = 3;
  int parity_shards = 2;
  int replica_quorum = 2;  // acknowledged replicas before a replicated write is done
  int extra_quorum = 1;    // erasure: k + extra_quorum shards before a write is done
  uint64_t max_chunk_bytes = 64ull << 20;
  uint32_t max_chunks_in_flight = 32;
  int moves_per_shard = 2;  // before the acknowledgement, nodes a failed shard may move to
  // Mirror pairs (chunk_layout.h): every shard is also written to its node's partner, on
  // pairs formed over the placement's members (placement::mirror_over). The write quorum
  // then counts copies: q shards means 2q copies stored.
  bool mirror_pairs = false;
  // Hedging: a shard read later than the p95 of recent reads (at least hedge_min, and
  // hedge_initial until hedge_samples reads were seen) gets one extra request.
  Duration hedge_min = std::chrono::milliseconds(2);
  Duration hedge_initial = std::chrono::milliseconds(50);
  size_t hedge_samples = 20;
  // Background completion of acknowledged writes.
  Duration retry_backoff = std::chrono::milliseconds(200);
  int completion_attempts = 5;
};

// Per-write choice; unset fields take the coordinator's defaults.
struct WriteOptions {
  std::optional<StorageMode> mode;
  int replicas = 0;       // 0: default
  int data_shards = 0;    // 0: default
  int parity_shards = 0;  // 0: default (may be 0 only through this field: no parity)
  bool no_parity = false;
  int quorum = 0;  // 0: default; at most k + m
};

class Coordinator {
 public:
  using PutDone = std::function<void(absl::StatusOr<ChunkLayout>)>;
  using ReadDone = std::function<void(absl::StatusOr<Payload>)>;
  using Alive = std::function<bool(NodeId)>;

  // REQUIRES: rt, shards outlive the coordinator; placement non-null.
  Coordinator(Runtime& rt, ShardClient& shards,
              std::shared_ptr<const placement::PlacementPolicy> placement,
              CoordinatorOptions options);
  ~Coordinator();
  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;

  // A new placement (a new epoch); writes in flight keep the one they started with.
  void set_placement(std::shared_ptr<const placement::PlacementPolicy> placement);
  // Which nodes are believed up (the failure detector's view); default: all.
  void set_alive(Alive alive) { alive_ = std::move(alive); }

  void put_chunk(const cas::Digest& digest, Payload bytes, const WriteOptions& options,
                 PutDone done);
  // `length` bytes at `offset` of the chunk; OutOfRange beyond its size; InvalidArgument
  // for a layout that does not validate or a length over max_chunk_bytes.
  void read_chunk(const ChunkLayout& layout, uint64_t offset, uint64_t length, ReadDone done);

  // Acknowledged chunks with shards not yet stored, and which shard indices those are.
  std::vector<std::pair<ChunkLayout, std::vector<int>>> incomplete() const;
  uint32_t in_flight() const { return in_flight_; }
  // Reads across shards whose bytes were assembled in a buffer an earlier read had filled.
  uint64_t reused_assembly_buffers() const { return assembled_.reused(); }
  const CoordinatorOptions& options() const { return options_; }

  struct Write;
  struct Read;

 private:
  struct Codes {
    std::unique_ptr<erasure::Codec> codec;
    std::unique_ptr<erasure::StripeEncoder> encoder;
  };
  absl::StatusOr<erasure::StripeEncoder*> encoder(int k, int m);
  absl::StatusOr<const erasure::Codec*> codec(int k, int m);
  bool alive(NodeId id) const;
  void form_pairs();
  void later(std::function<void()> fn);
  static void encode_and_hash(Write& w);
  void encoded(std::shared_ptr<Write> w);
  void place(std::shared_ptr<Write> w);
  void send_shard(std::shared_ptr<Write> w, int index);
  void shard_stored(std::shared_ptr<Write> w, int index, absl::Status status);
  void retry_in_background(std::shared_ptr<Write> w, int index);
  void finish_write(std::shared_ptr<Write> w, absl::StatusOr<ChunkLayout> result);

  void start_read(std::shared_ptr<Read> r);
  void ask(std::shared_ptr<Read> r, int index);
  static NodeId node_of(const Read& r, int shard);  // of the copy asked
  void shard_read(std::shared_ptr<Read> r, int index, Time asked, absl::StatusOr<Payload> got);
  // Asks more shards until the ones asked and not late could complete the read.
  void top_up(std::shared_ptr<Read> r);
  bool complete(const Read& r) const;
  void hedge(std::shared_ptr<Read> r);
  // Cancels the read's outstanding shard calls and its hedge timer.
  void stop_asking(Read& r);
  void assemble(std::shared_ptr<Read> r);
  static absl::StatusOr<Payload> rebuild(const Read& r);
  void finish_read(std::shared_ptr<Read> r, absl::StatusOr<Payload> result);
  Duration hedge_delay() const;

  Runtime& rt_;
  ShardClient& shards_;
  std::shared_ptr<const placement::PlacementPolicy> placement_;
  const placement::Topology first_;  // the first placement's members: pairs form over them
  std::shared_ptr<const placement::PlacementPolicy> mirror_;  // pairs over placement_'s
  absl::Status mirror_error_;
  CoordinatorOptions options_;
  Alive alive_;
  std::map<std::pair<int, int>, Codes> encoders_;  // by (k, m)
  std::map<cas::Digest, std::shared_ptr<Write>> incomplete_;
  std::deque<Duration> latencies_;  // recent successful shard reads
  // A read across shards assembles its range here: four ranges of max_chunk_bytes (reads
  // in flight while answers are written out), so that each erasure-coded get does not
  // fault in a fresh chunk-sized buffer (docs/performance.md). Kept while idle.
  BufferPool assembled_;
  uint32_t in_flight_ = 0;
  std::shared_ptr<bool> alive_token_ = std::make_shared<bool>(true);
};

}  // namespace cairn::storage
