// The coordinator's read path: shards for a byte range, hedged, rebuilt when missing.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/storage/ask_order.h"
#include "core/storage/coordinator.h"
#include "core/storage/coordinator_internal.h"
#include "core/storage/costs.h"
#include "core/storage/reconstruct.h"

namespace cairn::storage {

NodeId Coordinator::node_of(const Read& r, int shard) {
  return r.layout.copy(shard, r.copy[static_cast<size_t>(shard)]).node;
}

absl::StatusOr<const erasure::Codec*> Coordinator::codec(int k, int m) {
  auto enc = encoder(k, m);
  if (!enc.ok()) return enc.status();
  return encoders_[{k, m}].codec.get();
}

void Coordinator::read_chunk(const ChunkLayout& layout, uint64_t offset, uint64_t length,
                             ReadDone done) {
  auto fail = [&](absl::Status st) { later([done, st] { done(st); }); };
  if (auto st = validate(layout); !st.ok()) return fail(st);
  const uint64_t size = layout.chunk.size_bytes();
  if (offset > size || length > size - offset) {
    return fail(absl::OutOfRangeError(absl::StrCat(
        "range [", offset, ", +", length, ") is past the end of a chunk of ", size, " bytes")));
  }
  if (length > options_.max_chunk_bytes) {
    return fail(absl::InvalidArgumentError(
        absl::StrCat("read of ", length, " bytes over the limit of ", options_.max_chunk_bytes)));
  }
  if (in_flight_ >= options_.max_chunks_in_flight) {
    return fail(absl::UnavailableError(
        absl::StrCat("coordinator busy: ", in_flight_, " chunks in flight")));
  }
  if (length == 0) return later([done] { done(Payload(std::string())); });

  auto r = std::make_shared<Read>();
  r->layout = layout;
  r->offset = offset;
  r->length = length;
  r->done = std::move(done);
  if (layout.mode == StorageMode::kReplicated) {
    r->s0 = offset;
    r->s1 = offset + length;
    r->wanted = {0};
  } else {
    auto c = codec(layout.data_shards, layout.parity_shards);
    if (!c.ok()) return fail(c.status());
    r->codec = *c;
    const uint64_t sb = layout.shard_bytes;
    const auto first = static_cast<int>(offset / sb);
    const auto last = static_cast<int>((offset + length - 1) / sb);
    if (first == last) {
      r->s0 = offset - static_cast<uint64_t>(first) * sb;
      r->s1 = r->s0 + length;
    } else {
      r->s0 = 0;
      r->s1 = sb;
    }
    for (int i = first; i <= last; ++i) r->wanted.push_back(i);
  }
  const auto n = static_cast<size_t>(layout.total_shards());
  r->state.assign(n, Read::Shard::kIdle);
  r->late.assign(n, false);
  r->got.resize(n);
  r->calls.assign(n, 0);
  r->copy.assign(n, 0);
  r->other_tried.assign(n, false);
  r->copy_lost.assign(n, false);
  // A mirrored shard is asked first of a copy on an up node.
  for (int i = 0; i < layout.total_shards() && layout.mirrored; ++i) {
    if (!alive(layout.copy(i, 0).node) && alive(layout.copy(i, 1).node)) {
      r->copy[static_cast<size_t>(i)] = 1;
      rt_.metrics().counter("storage_mirror_reads").add();
    }
  }
  ++in_flight_;
  start_read(r);
}

void Coordinator::start_read(std::shared_ptr<Read> r) {
  // A replicated chunk asks one replica: this node's own when it holds one (its bytes cross
  // no network), else the first on an up node. An erasure-coded range asks the data shards
  // that hold it. A wanted shard on a node held down counts as late at once, so others are
  // asked beside it.
  if (r->codec == nullptr) {
    const int n = r->layout.total_shards();
    int first = -1;
    for (int i = 0; i < n && first < 0; ++i) {
      if (node_of(*r, i) == rt_.self()) first = i;
    }
    for (int i = 0; i < n && first < 0; ++i) {
      if (alive(node_of(*r, i))) first = i;
    }
    r->wanted = {std::max(first, 0)};
  }
  for (int i : r->wanted) {
    ask(r, i);
    if (!alive(node_of(*r, i))) {
      r->late[static_cast<size_t>(i)] = true;
    }
  }
  top_up(r);
  if (r->finished) return;
  // A hedge asks another place: with none (one replica, or every shard of a code without
  // parity already asked) there is nothing to arm it for.
  if (r->layout.slots() <= static_cast<int>(r->wanted.size())) return;
  r->hedge_timer = rt_.after(hedge_delay(), [this, r, token = std::weak_ptr<bool>(alive_token_)] {
    if (token.expired()) return;
    r->hedge_timer = kNoTimer;
    hedge(r);
  });
}

void Coordinator::ask(std::shared_ptr<Read> r, int index) {
  const auto i = static_cast<size_t>(index);
  CAIRN_ASSERT(r->state[i] == Read::Shard::kIdle);
  r->state[i] = Read::Shard::kAsked;
  const ShardPlace& place = r->layout.copy(index, r->copy[i]);
  const Time asked = rt_.now();
  r->calls[i] = shards_.get(place.node, place.digest, r->s0, r->s1 - r->s0,
                            [this, r, index, asked, token = std::weak_ptr<bool>(alive_token_)](
                                absl::StatusOr<Payload> got) {
                              if (token.expired()) return;
                              shard_read(r, index, asked, std::move(got));
                            });
}

void Coordinator::shard_read(std::shared_ptr<Read> r, int index, Time asked,
                             absl::StatusOr<Payload> got) {
  const auto i = static_cast<size_t>(index);
  if (r->finished || r->state[i] != Read::Shard::kAsked) return;
  if (got.ok() && got->size() != r->s1 - r->s0) {
    got = absl::DataLossError(absl::StrCat("answered ", got->size(), " bytes for ", r->s1 - r->s0));
  }
  if (got.ok()) {
    r->state[i] = Read::Shard::kOk;
    r->got[i] = std::move(*got);
    ++r->ok;
    latencies_.push_back(rt_.now() - asked);
    if (latencies_.size() > 128) latencies_.pop_front();
  } else {
    r->state[i] = Read::Shard::kFailed;
    const bool lost = absl::IsNotFound(got.status()) || absl::IsDataLoss(got.status()) ||
                      absl::IsOutOfRange(got.status());
    absl::StrAppend(&r->failures, r->failures.empty() ? "" : "; ", "shard ", index, " on n",
                    node_of(*r, index), ": ", got.status().ToString());
    rt_.metrics().counter("storage_shard_read_errors").add();
    if (r->layout.mirrored && !r->other_tried[i]) {
      // The partner holds the same shard: ask it before the code is needed.
      r->other_tried[i] = true;
      r->copy_lost[i] = lost;
      r->copy[i] ^= 1;
      r->state[i] = Read::Shard::kIdle;
      r->late[i] = !alive(node_of(*r, index));
      rt_.metrics().counter("storage_mirror_reads").add();
      ask(r, index);
      return top_up(r);
    }
    ++(lost && (!r->layout.mirrored || r->copy_lost[i]) ? r->lost : r->unreachable);
  }
  if (complete(*r)) return assemble(r);
  top_up(r);
}

bool Coordinator::complete(const Read& r) const {
  if (r.codec == nullptr) return r.ok >= 1;
  if (r.ok >= r.layout.data_shards) return true;
  return std::all_of(r.wanted.begin(), r.wanted.end(),
                     [&](int w) { return r.state[static_cast<size_t>(w)] == Read::Shard::kOk; });
}

void Coordinator::top_up(std::shared_ptr<Read> r) {
  if (r->finished) return;
  auto usable = [&](size_t i) {
    return r->state[i] == Read::Shard::kOk || (r->state[i] == Read::Shard::kAsked && !r->late[i]);
  };
  const bool direct = std::all_of(r->wanted.begin(), r->wanted.end(),
                                  [&](int w) { return usable(static_cast<size_t>(w)); });
  const int need = r->codec == nullptr ? 1 : r->layout.data_shards;
  int have = 0;
  for (size_t i = 0; i < r->state.size(); ++i) have += usable(i) ? 1 : 0;
  if (!direct) {
    ask_up_first(
        r->layout.total_shards(), need, have,
        [&](int i) { return r->state[static_cast<size_t>(i)] == Read::Shard::kIdle; },
        [&](int i) { return alive(node_of(*r, i)); }, [&](int i) { ask(r, i); });
  }
  const bool waiting = std::any_of(r->state.begin(), r->state.end(),
                                   [](Read::Shard s) { return s == Read::Shard::kAsked; });
  if (waiting) return;
  // Nothing left to ask and not complete: more shards gone than the code can bear.
  const int n = r->layout.total_shards();
  const bool gone = n - r->lost < need;
  finish_read(r, absl::Status(gone ? absl::StatusCode::kDataLoss : absl::StatusCode::kUnavailable,
                              absl::StrCat(r->layout.code_name(), " chunk ",
                                           r->layout.chunk.format(), ": ", r->ok, " of ", need,
                                           " shards needed answered (", r->failures, ")")));
}

void Coordinator::hedge(std::shared_ptr<Read> r) {
  if (r->finished) return;
  for (int w : r->wanted) {
    const auto i = static_cast<size_t>(w);
    if (r->state[i] == Read::Shard::kAsked && r->layout.mirrored && !r->other_tried[i]) {
      // A late copy: its partner holds the same bytes, so ask it instead of the code.
      shards_.cancel(r->calls[i]);
      r->state[i] = Read::Shard::kIdle;
      r->other_tried[i] = true;
      r->copy[i] ^= 1;
      r->late[i] = !alive(node_of(*r, w));
      rt_.metrics().counter("storage_mirror_reads").add();
      rt_.metrics().counter("storage_hedged_reads").add();
      ask(r, w);
      continue;
    }
    if (r->state[i] == Read::Shard::kAsked && !r->late[i]) {
      r->late[i] = true;
      rt_.metrics().counter("storage_hedged_reads").add();
    }
  }
  top_up(r);
}

Duration Coordinator::hedge_delay() const {
  if (latencies_.size() < options_.hedge_samples) return options_.hedge_initial;
  std::vector<Duration> sorted(latencies_.begin(), latencies_.end());
  const size_t p95 = (sorted.size() * 95 + 99) / 100 - 1;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<long>(p95), sorted.end());
  return std::max(sorted[p95], options_.hedge_min);
}

void Coordinator::stop_asking(Read& r) {
  for (size_t i = 0; i < r.state.size(); ++i) {
    if (r.state[i] == Read::Shard::kAsked) {
      shards_.cancel(r.calls[i]);
      r.state[i] = Read::Shard::kIdle;
    }
  }
  rt_.cancel(r.hedge_timer);
  r.hedge_timer = kNoTimer;
}

void Coordinator::assemble(std::shared_ptr<Read> r) {
  stop_asking(*r);
  const bool whole = r->offset == 0 && r->length == r->layout.chunk.size_bytes();
  int missing = 0;
  if (r->codec != nullptr) {
    for (int w : r->wanted) missing += r->state[static_cast<size_t>(w)] == Read::Shard::kOk ? 0 : 1;
  }
  bool real = true;
  for (const Payload& p : r->got) real = real && p.virtual_bytes == 0;
  if (real && r->codec != nullptr && r->wanted.size() > 1) r->assembly = assembled_.take(r->length);
  const Cost cost{
      (missing > 0 ? encode_cost((r->s1 - r->s0) * r->layout.data_shards, missing).flops : 0) +
      (whole && real ? cas::sha256_cost(r->length).flops : 0)};
  auto result = std::make_shared<absl::StatusOr<Payload>>();
  rt_.compute(
      cost, [r, result] { *result = rebuild(*r); },
      [this, r, result, token = std::weak_ptr<bool>(alive_token_)] {
        if (token.expired()) return;
        finish_read(r, std::move(*result));
      });
}

void Coordinator::finish_read(std::shared_ptr<Read> r, absl::StatusOr<Payload> result) {
  CAIRN_ASSERT(!r->finished);
  r->finished = true;
  --in_flight_;
  stop_asking(*r);
  rt_.metrics().counter(result.ok() ? "storage_chunks_read" : "storage_chunk_read_errors").add();
  auto done = std::move(r->done);
  r->got.clear();
  r->assembly.reset();  // the answer holds it while needed; then the pool may reuse it
  done(std::move(result));
}

// Runs off the node's thread: reads only the read's own state.
absl::StatusOr<Payload> Coordinator::rebuild(const Read& r) {
  const uint64_t len = r.s1 - r.s0;
  const bool whole = r.offset == 0 && r.length == r.layout.chunk.size_bytes();
  for (size_t i = 0; i < r.got.size(); ++i) {
    if (r.state[i] == Read::Shard::kOk && r.got[i].virtual_bytes > 0) {
      Payload p;
      p.virtual_bytes = r.length;
      return p;
    }
  }
  Payload out;
  if (r.codec == nullptr) {
    for (size_t i = 0; i < r.got.size() && out.empty(); ++i) {
      if (r.state[i] == Read::Shard::kOk) out = r.got[i];
    }
  } else {
    const auto n = static_cast<size_t>(r.layout.total_shards());
    std::vector<const uint8_t*> present(n, nullptr);
    for (size_t i = 0; i < n; ++i) {
      if (r.state[i] == Read::Shard::kOk) {
        present[i] = reinterpret_cast<const uint8_t*>(r.got[i].data());
      }
    }
    std::vector<int> lost;
    for (int w : r.wanted) {
      if (present[static_cast<size_t>(w)] == nullptr) lost.push_back(w);
    }
    auto rebuilt_or = reconstruct_shards(*r.codec, present, lost, len);
    if (!rebuilt_or.ok()) return rebuilt_or.status();
    std::vector<std::string>& rebuilt = *rebuilt_or;
    auto shard_view = [&](int w) -> std::string_view {
      if (present[static_cast<size_t>(w)] != nullptr) return r.got[static_cast<size_t>(w)].view();
      const auto at = std::find(lost.begin(), lost.end(), w) - lost.begin();
      return rebuilt[static_cast<size_t>(at)];
    };
    if (r.wanted.size() == 1) {
      const int w = r.wanted[0];
      out = present[static_cast<size_t>(w)] != nullptr ? r.got[static_cast<size_t>(w)]
                                                       : Payload(std::move(rebuilt[0]));
    } else {
      // The range spans shards, each read whole (s0 = 0): take each shard's part of it.
      const uint64_t sb = r.layout.shard_bytes;
      const uint64_t end = r.offset + r.length;
      CAIRN_ASSERT(r.assembly != nullptr);
      std::string& bytes = *r.assembly;
      bytes.clear();  // a reused buffer keeps its capacity
      for (int w : r.wanted) {
        const uint64_t start = static_cast<uint64_t>(w) * sb;
        const uint64_t from = std::max(r.offset, start);
        const uint64_t to = std::min(end, start + sb);
        bytes.append(shard_view(w).substr(from - start, to - from));
      }
      out = Payload(std::shared_ptr<const std::string>(r.assembly));
    }
  }
  CAIRN_ASSERT(out.size() == r.length);
  if (whole) {
    const auto view = out.view();
    const cas::Digest got = cas::Digest::of(view);
    if (got != r.layout.chunk) {
      return absl::DataLossError(absl::StrCat("chunk ", r.layout.chunk.format(),
                                              " read back with other bytes (", got.format(),
                                              "); shards answered but disagree"));
    }
  }
  return out;
}

}  // namespace cairn::storage
