#include "core/storage/coordinator.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/placement/mirror.h"
#include "core/storage/coordinator_internal.h"
#include "core/storage/costs.h"

namespace cairn::storage {
namespace {

// Buffers of assembled read ranges kept for reuse (see Coordinator::assembled_).
constexpr size_t kAssemblyBuffersMax = 8;

std::string node_name(NodeId id) { return absl::StrCat("n", id); }

}  // namespace

Coordinator::Coordinator(Runtime& rt, ShardClient& shards,
                         std::shared_ptr<const placement::PlacementPolicy> placement,
                         CoordinatorOptions options)
    : rt_(rt),
      shards_(shards),
      placement_(std::move(placement)),
      first_(placement_->topology()),
      options_(options),
      assembled_(4 * options_.max_chunk_bytes, kAssemblyBuffersMax) {
  CAIRN_ASSERT(placement_ != nullptr);
  form_pairs();
  if (options_.mirror_pairs) rt_.metrics().counter("storage_mirror_reads");  // listed from 0
}

Coordinator::~Coordinator() = default;

void Coordinator::set_placement(std::shared_ptr<const placement::PlacementPolicy> placement) {
  CAIRN_ASSERT(placement != nullptr);
  placement_ = std::move(placement);
  form_pairs();
}

void Coordinator::form_pairs() {
  if (!options_.mirror_pairs) return;
  auto pairs = placement::mirror_over(first_, placement_->topology());
  mirror_error_ = pairs.status();
  mirror_ = pairs.ok() ? *pairs : nullptr;
}

absl::StatusOr<erasure::StripeEncoder*> Coordinator::encoder(int k, int m) {
  auto& slot = encoders_[{k, m}];
  if (slot.encoder == nullptr) {
    auto codec = erasure::make_reed_solomon(k, m);
    if (!codec.ok()) return codec.status();
    slot.codec = std::move(*codec);
    slot.encoder = std::make_unique<erasure::StripeEncoder>(*slot.codec);
  }
  return slot.encoder.get();
}

void Coordinator::later(std::function<void()> fn) { rt_.after(Duration(0), std::move(fn)); }

// ---- write ----------------------------------------------------------------------------

void Coordinator::put_chunk(const cas::Digest& digest, Payload bytes, const WriteOptions& options,
                            PutDone done) {
  auto fail = [&](absl::Status st) { later([done, st] { done(st); }); };
  if (in_flight_ >= options_.max_chunks_in_flight) {
    return fail(absl::UnavailableError(
        absl::StrCat("coordinator busy: ", in_flight_, " chunks in flight")));
  }
  if (bytes.size() != digest.size_bytes()) {
    return fail(
        absl::InvalidArgumentError(absl::StrCat("chunk ", digest.format(), " has ", bytes.size(),
                                                " bytes, its digest says ", digest.size_bytes())));
  }
  if (bytes.size() > options_.max_chunk_bytes) {
    return fail(absl::InvalidArgumentError(absl::StrCat(
        "chunk of ", bytes.size(), " bytes over the limit of ", options_.max_chunk_bytes)));
  }
  auto w = std::make_shared<Write>();
  w->digest = digest;
  w->mode = options.mode.value_or(digest.size_bytes() < options_.replicate_below_bytes
                                      ? StorageMode::kReplicated
                                      : StorageMode::kErasure);
  if (w->mode == StorageMode::kReplicated) {
    const int r = options.replicas > 0 ? options.replicas : options_.replicas;
    w->k = 1;
    w->m = r - 1;
  } else {
    w->k = options.data_shards > 0 ? options.data_shards : options_.data_shards;
    w->m = options.parity_shards > 0 || options.no_parity ? options.parity_shards
                                                          : options_.parity_shards;
  }
  const int n = w->k + w->m;
  if (w->k < 1 || w->m < 0 || n > erasure::kMaxShards) {
    return fail(absl::InvalidArgumentError(
        absl::StrCat("storage mode ", mode_name(w->mode), " with k = ", w->k, ", m = ", w->m,
                     ": need 1 <= k, 0 <= m and k + m <= ", erasure::kMaxShards)));
  }
  const int default_quorum = w->mode == StorageMode::kReplicated
                                 ? std::min(options_.replica_quorum, n)
                                 : std::min(w->k + options_.extra_quorum, n);
  w->quorum = options.quorum > 0 ? options.quorum : default_quorum;
  if (w->quorum < w->k || w->quorum > n) {
    return fail(absl::InvalidArgumentError(
        absl::StrCat("write quorum ", w->quorum, " outside [", w->k, ", ", n, "]")));
  }
  if (w->mode == StorageMode::kErasure) {
    auto enc = encoder(w->k, w->m);
    if (!enc.ok()) return fail(enc.status());
    w->encoder = *enc;
  }
  if (options_.mirror_pairs && mirror_ == nullptr) return fail(mirror_error_);
  w->copies = options_.mirror_pairs ? 2 : 1;
  w->placement = options_.mirror_pairs ? mirror_ : placement_;
  w->chunk = std::move(bytes);
  w->done = std::move(done);
  ++in_flight_;
  const bool real = w->chunk.virtual_bytes == 0;
  const uint64_t size = w->chunk.size();
  const Cost cost{
      (real ? cas::sha256_cost(size).flops : 0) +
      (w->mode == StorageMode::kErasure
           ? encode_cost(size, w->m).flops + (real ? cas::sha256_cost(size * n / w->k).flops : 0)
           : 0)};
  rt_.compute(
      cost, [w] { encode_and_hash(*w); },
      [this, w, token = std::weak_ptr<bool>(alive_token_)] {
        if (token.expired()) return;
        encoded(w);
      });
}

// Runs off the node's thread: touches only the write.
void Coordinator::encode_and_hash(Write& w) {
  const int n = w.k + w.m;
  const bool real = w.chunk.virtual_bytes == 0;
  if (real) w.bad_digest = cas::Digest::of(w.chunk.view()) != w.digest;
  if (w.bad_digest) return;
  std::vector<cas::Digest> digests;
  uint64_t shard_bytes = w.chunk.size();
  if (w.mode == StorageMode::kReplicated) {
    w.payloads.assign(static_cast<size_t>(n), w.chunk);
    digests.assign(static_cast<size_t>(n), w.digest);
  } else {
    erasure::EncodedChunk enc = w.encoder->encode(w.chunk);
    shard_bytes = enc.layout.shard_bytes;
    w.payloads = std::move(enc.shards);
    for (int i = 0; i < n; ++i) {
      const Payload& p = w.payloads[static_cast<size_t>(i)];
      digests.push_back(real ? cas::Digest::of(p.view())
                             : virtual_shard_digest(w.digest, i, shard_bytes));
    }
  }
  w.layout.chunk = w.digest;
  w.layout.mode = w.mode;
  w.layout.data_shards = w.k;
  w.layout.parity_shards = w.m;
  w.layout.shard_bytes = shard_bytes;
  w.layout.mirrored = w.copies == 2;
  w.layout.shards.resize(static_cast<size_t>(n * w.copies));
  for (int i = 0; i < n * w.copies; ++i) {
    w.layout.shards[static_cast<size_t>(i)].digest = digests[static_cast<size_t>(i / w.copies)];
  }
  if (w.copies == 2) {  // one payload per slot: the two copies share the bytes
    std::vector<Payload> per_slot;
    for (const Payload& p : w.payloads) per_slot.insert(per_slot.end(), 2, p);
    w.payloads = std::move(per_slot);
  }
}

void Coordinator::encoded(std::shared_ptr<Write> w) {
  if (w->bad_digest) {
    return finish_write(w, absl::InvalidArgumentError(
                               absl::StrCat("chunk bytes do not hash to ", w->digest.format())));
  }
  const int n = (w->k + w->m) * w->copies;  // slots
  auto order = w->placement->place(w->digest.prefix64(), w->placement->max_count());
  if (!order.ok()) return finish_write(w, order.status());
  w->layout.epoch = w->placement->epoch();
  const int quorum = w->quorum * w->copies;
  const auto up = static_cast<int>(
      std::count_if(order->begin(), order->end(), [&](NodeId id) { return alive(id); }));
  if (std::min(up, n) < quorum || static_cast<int>(order->size()) < n) {
    return finish_write(
        w, absl::UnavailableError(absl::StrCat(
               "only ", up, " of ", order->size(), " storage nodes are up; ", w->layout.code_name(),
               w->copies == 2
                   ? absl::StrCat(" mirrored needs ", n, " places in pairs and ", quorum, " up")
                   : absl::StrCat(" needs ", quorum),
               " for its quorum")));
  }
  w->quorum = quorum;
  w->next_candidate = static_cast<size_t>(n);
  if (w->copies == 1) {
    // Up nodes first, keeping the policy's order within each group.
    std::stable_partition(order->begin(), order->end(), [&](NodeId id) { return alive(id); });
  }
  w->order = std::move(*order);
  w->state.assign(static_cast<size_t>(n), Write::Shard::kPending);
  w->moves.assign(static_cast<size_t>(n), 0);
  w->attempts.assign(static_cast<size_t>(n), 0);
  w->pending = n;
  for (int i = 0; i < n; ++i) w->layout.shards[static_cast<size_t>(i)].node = w->order[i];
  // Mirrored, a slot keeps its pair's place; one on a down node moves to the next up node
  // of the order (so the pair is broken only where a node is down).
  for (int i = 0; i < n && w->copies == 2; ++i) {
    auto& node = w->layout.shards[static_cast<size_t>(i)].node;
    while (!alive(node) && w->next_candidate < w->order.size()) {
      node = w->order[w->next_candidate++];
    }
  }
  for (int i = 0; i < n; ++i) {
    if (alive(w->layout.shards[static_cast<size_t>(i)].node)) {
      send_shard(w, i);
    } else {
      // No live node left for it: it waits for its node, like a shard that failed late.
      w->state[static_cast<size_t>(i)] = Write::Shard::kFailed;
      --w->pending;
    }
  }
}

void Coordinator::send_shard(std::shared_ptr<Write> w, int index) {
  const auto i = static_cast<size_t>(index);
  w->state[i] = Write::Shard::kPending;
  shards_.put(w->layout.shards[i].node, w->layout.shards[i].digest, w->payloads[i],
              [this, w, index,
               token = std::weak_ptr<bool>(alive_token_)](absl::StatusOr<cas::PutResult> r) {
                if (token.expired()) return;
                shard_stored(w, index, r.status());
              });
}

void Coordinator::shard_stored(std::shared_ptr<Write> w, int index, absl::Status status) {
  const auto i = static_cast<size_t>(index);
  const bool was_pending = w->state[i] == Write::Shard::kPending;
  CAIRN_ASSERT(was_pending);
  --w->pending;
  if (w->failed) return;
  if (status.ok()) {
    w->state[i] = Write::Shard::kStored;
    w->payloads[i] = Payload();
    ++w->stored;
    if (!w->acked && w->stored >= w->quorum) {
      w->acked = true;
      if (w->stored < w->layout.slots()) incomplete_[w->digest] = w;
      // Shards that found no node before the acknowledgement now wait for theirs.
      for (int s = 0; s < w->layout.slots(); ++s) {
        if (w->state[static_cast<size_t>(s)] == Write::Shard::kFailed) retry_in_background(w, s);
      }
      finish_write(w, w->layout);
    }
    if (w->acked && w->stored == w->layout.slots()) incomplete_.erase(w->digest);
    return;
  }
  w->state[i] = Write::Shard::kFailed;
  if (!absl::IsResourceExhausted(status)) w->only_full = false;
  w->last_error = absl::Status(
      status.code(), absl::StrCat("shard ", index, " on ", node_name(w->layout.shards[i].node),
                                  ": ", status.message()));
  if (w->acked) return retry_in_background(w, index);
  // Before the acknowledgement a shard may move to the next up node not yet used.
  if (w->moves[i] < options_.moves_per_shard) {
    while (w->next_candidate < w->order.size()) {
      const NodeId next = w->order[w->next_candidate++];
      if (!alive(next)) continue;
      ++w->moves[i];
      ++w->pending;
      w->layout.shards[i].node = next;
      return send_shard(w, index);
    }
  }
  if (w->stored + w->pending < w->quorum) {
    const auto code =
        w->only_full ? absl::StatusCode::kResourceExhausted : absl::StatusCode::kUnavailable;
    return finish_write(
        w, absl::Status(code, absl::StrCat(w->layout.code_name(), " write quorum ", w->quorum,
                                           " out of reach: ", w->stored,
                                           " stored; last error: ", w->last_error.message())));
  }
}

void Coordinator::retry_in_background(std::shared_ptr<Write> w, int index) {
  const auto i = static_cast<size_t>(index);
  if (++w->attempts[i] > options_.completion_attempts) {
    w->payloads[i] = Payload();  // left to repair: incomplete() still lists it
    rt_.metrics().counter("storage_shards_left_to_repair").add();
    return;
  }
  rt_.after(options_.retry_backoff * w->attempts[i],
            [this, w, index, token = std::weak_ptr<bool>(alive_token_)] {
              if (token.expired()) return;
              ++w->pending;
              send_shard(w, index);
            });
}

void Coordinator::finish_write(std::shared_ptr<Write> w, absl::StatusOr<ChunkLayout> result) {
  --in_flight_;
  if (result.ok()) {
    rt_.metrics().counter("storage_chunks_written").add();
  } else {
    rt_.metrics().counter("storage_chunk_write_errors").add();
  }
  auto done = std::move(w->done);
  w->done = nullptr;
  if (!result.ok()) {
    w->failed = true;
    w->payloads.clear();
  }
  done(std::move(result));
}

std::vector<std::pair<ChunkLayout, std::vector<int>>> Coordinator::incomplete() const {
  std::vector<std::pair<ChunkLayout, std::vector<int>>> out;
  for (const auto& [digest, w] : incomplete_) {
    std::vector<int> missing;
    for (size_t i = 0; i < w->state.size(); ++i) {
      if (w->state[i] != Write::Shard::kStored) missing.push_back(static_cast<int>(i));
    }
    out.emplace_back(w->layout, std::move(missing));
  }
  return out;
}

bool Coordinator::alive(NodeId id) const { return !alive_ || alive_(id); }

}  // namespace cairn::storage
