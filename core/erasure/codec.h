// Erasure codecs: the arithmetic that turns k data shards into k+m shards and back.
//
// A Codec is pure and deterministic: the same shards in always give the same shards out, and
// it keeps no state between calls, so one instance may serve many threads. Shards are
// indexed 0..k-1 (data, stored verbatim) then k..k+m-1 (parity). Any k intact shards
// suffice to rebuild every other one; with fewer, reconstruct() returns DataLoss and
// writes nothing. Reed-Solomon (Cauchy matrix, over ISA-L) and plain replication (k = 1)
// share this interface so that repair and storage code never ask which code is in use,
// and a later LRC code can slot in beside them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace cairn::erasure {

// ISA-L's tables and our layouts are sized for at most this many shards per stripe.
inline constexpr int kMaxShards = 32;

class Codec {
 public:
  virtual ~Codec() = default;

  // "rs(10,4)" or "rep(3)": for logs, metrics and manifests.
  virtual std::string name() const = 0;
  virtual int data_shards() const = 0;
  virtual int parity_shards() const = 0;
  int total_shards() const { return data_shards() + parity_shards(); }

  // Computes the parity shards from the data shards; every buffer is shard_bytes long.
  // REQUIRES: data.size() == data_shards(), parity.size() == parity_shards(), no aliasing.
  virtual void encode(absl::Span<const uint8_t* const> data, absl::Span<uint8_t* const> parity,
                      size_t shard_bytes) const = 0;

  // True when every parity shard is a byte-for-byte copy of data shard 0 (replication), so
  // a caller may share that shard's bytes instead of calling encode().
  virtual bool parity_copies_data() const { return false; }

  // Rebuilds only the shards listed in `lost` from those present. `shards` has one entry
  // per shard index; nullptr marks an absent shard. out[i] receives shard lost[i].
  // Returns DataLoss (writing nothing) when fewer than data_shards() shards are present,
  // InvalidArgument when `lost` names an index twice, out of range, or a present shard.
  virtual absl::Status reconstruct(absl::Span<const uint8_t* const> shards,
                                   absl::Span<const int> lost, absl::Span<uint8_t* const> out,
                                   size_t shard_bytes) const = 0;
};

// Reed-Solomon with a Cauchy generator matrix. InvalidArgument unless 1 <= k, 1 <= m and
// k + m <= kMaxShards.
absl::StatusOr<std::unique_ptr<Codec>> make_reed_solomon(int k, int m);

// `copies` full copies (k = 1, m = copies - 1): the degenerate code. InvalidArgument
// unless 1 <= copies <= kMaxShards.
absl::StatusOr<std::unique_ptr<Codec>> make_replication(int copies);

// Checks the arguments every reconstruct() shares; implementations call it first.
absl::Status check_reconstruct_args(const Codec& codec, absl::Span<const uint8_t* const> shards,
                                    absl::Span<const int> lost, absl::Span<uint8_t* const> out);

}  // namespace cairn::erasure
