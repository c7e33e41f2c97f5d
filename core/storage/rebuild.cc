// Shard rebuild: fetch k survivors, reconstruct the wanted shards, verify, store.
#include "core/storage/rebuild.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/storage/ask_order.h"
#include "core/storage/costs.h"
#include "core/storage/reconstruct.h"

namespace cairn::storage {

struct Rebuilder::Job {
  enum class Shard { kIdle, kAsked, kOk, kFailed, kWanted };

  ChunkLayout layout;
  std::vector<int> wanted;  // slots
  NodeId copy_from = kNoNode;
  Done done;
  const erasure::Codec* codec = nullptr;
  std::vector<Shard> state;  // per shard of the code
  std::vector<int> copy;     // the copy asked of each shard (mirrored: 0 or 1)
  std::vector<bool> other_tried;
  std::vector<Payload> got;
  std::vector<Payload> rebuilt;  // per wanted shard, once decoded
  int ok = 0;
  int lost = 0;  // NotFound, DataLoss, wrong bytes (the wanted shards not counted)
  bool finished = false;
  std::string failures;
};

Rebuilder::Rebuilder(Runtime& rt, ShardClient& shards, cas::ShardStore& store,
                     RebuilderOptions options)
    : rt_(rt), shards_(shards), store_(store), options_(options) {}

Rebuilder::~Rebuilder() = default;

bool Rebuilder::up(NodeId node) const { return up_ == nullptr || up_(node); }

absl::StatusOr<const erasure::Codec*> Rebuilder::codec(const ChunkLayout& layout) {
  auto& slot = codecs_[{layout.mode, layout.data_shards, layout.parity_shards}];
  if (slot == nullptr) {
    auto c = layout.mode == StorageMode::kReplicated
                 ? erasure::make_replication(layout.total_shards())
                 : erasure::make_reed_solomon(layout.data_shards, layout.parity_shards);
    if (!c.ok()) return c.status();
    slot = std::move(*c);
  }
  return slot.get();
}

void Rebuilder::rebuild(const ChunkLayout& layout, std::vector<int> shards, Done done,
                        bool copy_first, NodeId copy_from) {
  auto fail = [&](absl::Status st) { rt_.after(Duration(0), [done, st] { done(st); }); };
  if (auto st = validate(layout); !st.ok()) return fail(st);
  std::set<int> seen;
  for (int i : shards) {
    if (i < 0 || i >= layout.slots() || !seen.insert(layout.shard_of(i)).second) {
      return fail(absl::InvalidArgumentError(
          absl::StrCat("shard index ", i, " repeated or out of range for ", layout.code_name(),
                       layout.mirrored ? " mirrored (a node holds one copy of a shard)" : "")));
    }
  }
  if (shards.empty()) return fail(absl::InvalidArgumentError("no shard to rebuild"));
  if (in_flight_ >= options_.max_rebuilds) {
    return fail(absl::UnavailableError(absl::StrCat("node busy: ", in_flight_, " rebuilds")));
  }
  auto c = codec(layout);
  if (!c.ok()) return fail(c.status());
  auto j = std::make_shared<Job>();
  j->layout = layout;
  j->wanted = std::move(shards);
  j->done = std::move(done);
  j->codec = *c;
  const auto n = static_cast<size_t>(layout.total_shards());
  j->state.assign(n, Job::Shard::kIdle);
  j->copy.assign(n, 0);
  j->other_tried.assign(n, false);
  j->got.resize(n);
  for (int i : j->wanted) j->state[static_cast<size_t>(layout.shard_of(i))] = Job::Shard::kWanted;
  // A mirrored shard is asked first of a copy on an up node.
  for (int i = 0; i < layout.total_shards() && layout.mirrored; ++i) {
    if (!up(layout.copy(i, 0).node) && up(layout.copy(i, 1).node)) {
      j->copy[static_cast<size_t>(i)] = 1;
    }
  }
  ++in_flight_;
  rt_.metrics().counter("storage_rebuilds_started").add();
  if (copy_first && j->wanted.size() == 1) {
    const ShardPlace& place = layout.shards[static_cast<size_t>(j->wanted[0])];
    j->copy_from = copy_from != kNoNode ? copy_from : place.node;
    shards_.get(j->copy_from, place.digest, 0, layout.shard_bytes,
                [this, j, token = std::weak_ptr<bool>(alive_)](absl::StatusOr<Payload> bytes) {
                  if (token.expired()) return;
                  copied(j, std::move(bytes));
                });
    return;
  }
  ask_more(j);
}

void Rebuilder::copied(std::shared_ptr<Job> j, absl::StatusOr<Payload> bytes) {
  if (j->finished) return;
  const ShardPlace& place = j->layout.shards[static_cast<size_t>(j->wanted[0])];
  if (bytes.ok() && bytes->size() != j->layout.shard_bytes) {
    bytes = absl::DataLossError(absl::StrCat("answered ", bytes->size(), " bytes"));
  } else if (bytes.ok() && bytes->virtual_bytes == 0 &&
             cas::Digest::of(bytes->view()) != place.digest) {
    bytes = absl::DataLossError("bytes do not hash to the shard's digest");
  }
  if (!bytes.ok()) {
    // The old copy is gone or bad: rebuild it from survivors as for a lost shard.
    absl::StrAppend(&j->failures, "copy from n", j->copy_from, ": ", bytes.status().ToString());
    rt_.metrics().counter("storage_copy_fallbacks").add();
    rt_.log().event(Event{
        "rebuild_copy_failed",
        {{"from", static_cast<int64_t>(j->copy_from)}, {"status", bytes.status().ToString()}}});
    return ask_more(j);
  }
  rt_.metrics().counter("storage_copied_shards").add();
  j->rebuilt.push_back(std::move(*bytes));
  store(j, 0);
}

void Rebuilder::ask_more(std::shared_ptr<Job> j) {
  const int k = j->layout.data_shards;
  int have = j->ok;
  for (auto s : j->state) have += s == Job::Shard::kAsked ? 1 : 0;
  have = ask_up_first(
      j->layout.total_shards(), k, have,
      [&](int i) { return j->state[static_cast<size_t>(i)] == Job::Shard::kIdle; },
      [&](int i) { return up(j->layout.copy(i, j->copy[static_cast<size_t>(i)]).node); },
      [&](int i) { ask(j, i); });
  if (have >= k) return;
  // Nothing left to ask: more shards gone than the code bears, or some out of reach.
  const int wanted = static_cast<int>(j->wanted.size());
  const bool gone = j->layout.total_shards() - j->lost - wanted < k;
  finish(j,
         absl::Status(gone ? absl::StatusCode::kDataLoss : absl::StatusCode::kUnavailable,
                      absl::StrCat(j->layout.code_name(), " chunk ", j->layout.chunk.format(), ": ",
                                   j->ok, " of ", k, " survivors answered (", j->failures, ")")));
}

void Rebuilder::ask(std::shared_ptr<Job> j, int index) {
  const auto at = static_cast<size_t>(index);
  j->state[at] = Job::Shard::kAsked;
  const ShardPlace& place = j->layout.copy(index, j->copy[at]);
  shards_.get(place.node, place.digest, 0, j->layout.shard_bytes,
              [this, j, index, token = std::weak_ptr<bool>(alive_)](absl::StatusOr<Payload> bytes) {
                if (token.expired()) return;
                got(j, index, std::move(bytes));
              });
}

void Rebuilder::got(std::shared_ptr<Job> j, int index, absl::StatusOr<Payload> bytes) {
  const auto at = static_cast<size_t>(index);
  if (j->finished || j->state[at] != Job::Shard::kAsked) return;
  const ShardPlace& place = j->layout.copy(index, j->copy[at]);
  if (bytes.ok() && bytes->size() != j->layout.shard_bytes) {
    bytes = absl::DataLossError(absl::StrCat("answered ", bytes->size(), " bytes"));
  } else if (bytes.ok() && bytes->virtual_bytes == 0 &&
             cas::Digest::of(bytes->view()) != place.digest) {
    bytes = absl::DataLossError("bytes do not hash to the shard's digest");
  }
  if (bytes.ok()) {
    j->state[at] = Job::Shard::kOk;
    j->got[at] = std::move(*bytes);
    ++j->ok;
  } else {
    j->state[at] = Job::Shard::kFailed;
    const absl::Status& st = bytes.status();
    absl::StrAppend(&j->failures, j->failures.empty() ? "" : "; ", "shard ", index, " on n",
                    place.node, ": ", st.ToString());
    if (j->layout.mirrored && !j->other_tried[at]) {  // its partner holds the same bytes
      j->other_tried[at] = true;
      j->copy[at] ^= 1;
      return ask(j, index);
    }
    if (absl::IsNotFound(st) || absl::IsDataLoss(st) || absl::IsOutOfRange(st)) ++j->lost;
  }
  if (j->ok >= j->layout.data_shards) return decode(j);
  ask_more(j);
}

void Rebuilder::decode(std::shared_ptr<Job> j) {
  bool real = true;
  for (const Payload& p : j->got) real = real && p.virtual_bytes == 0;
  const uint64_t sb = j->layout.shard_bytes;
  const Cost cost{encode_cost(sb * static_cast<uint64_t>(j->layout.data_shards),
                              static_cast<int>(j->wanted.size()))
                      .flops +
                  (real ? cas::sha256_cost(sb * j->wanted.size()).flops : 0)};
  auto result = std::make_shared<absl::Status>();
  // Runs off the node's thread: reads and writes only the job's own state.
  auto work = [j, result, real, sb] {
    if (!real) {
      for (size_t w = 0; w < j->wanted.size(); ++w) {
        Payload p;
        p.virtual_bytes = sb;
        j->rebuilt.push_back(p);
      }
      return;
    }
    std::vector<const uint8_t*> present(j->got.size(), nullptr);
    for (size_t i = 0; i < j->got.size(); ++i) {
      if (j->state[i] == Job::Shard::kOk) {
        present[i] = reinterpret_cast<const uint8_t*>(j->got[i].data());
      }
    }
    std::vector<int> wanted;  // the code's shards of the wanted slots
    for (int slot : j->wanted) wanted.push_back(j->layout.shard_of(slot));
    auto rebuilt = reconstruct_shards(*j->codec, present, wanted, sb);
    if (!rebuilt.ok()) {
      *result = rebuilt.status();
      return;
    }
    for (size_t w = 0; w < j->wanted.size(); ++w) {
      const ShardPlace& place = j->layout.shards[static_cast<size_t>(j->wanted[w])];
      if (cas::Digest::of(std::string_view((*rebuilt)[w])) != place.digest) {
        *result = absl::DataLossError(absl::StrCat("rebuilt shard ", j->wanted[w],
                                                   " does not hash to ", place.digest.format()));
        return;
      }
      j->rebuilt.emplace_back(std::move((*rebuilt)[w]));
    }
  };
  rt_.compute(cost, std::move(work), [this, j, result, token = std::weak_ptr<bool>(alive_)] {
    if (token.expired()) return;
    if (!result->ok()) return finish(j, *result);
    j->got.clear();
    store(j, 0);
  });
}

void Rebuilder::store(std::shared_ptr<Job> j, size_t at) {
  if (at == j->wanted.size()) return finish(j, absl::OkStatus());
  const ShardPlace& place = j->layout.shards[static_cast<size_t>(j->wanted[at])];
  store_.put(
      place.digest, j->rebuilt[at],
      [this, j, at, token = std::weak_ptr<bool>(alive_)](absl::StatusOr<cas::PutResult> put) {
        if (token.expired()) return;
        if (!put.ok()) return finish(j, put.status());
        rt_.metrics().counter("storage_rebuilt_bytes").add(j->layout.shard_bytes);
        store(j, at + 1);
      });
}

void Rebuilder::finish(std::shared_ptr<Job> j, absl::Status status) {
  CAIRN_ASSERT(!j->finished);
  CAIRN_ASSERT(in_flight_ > 0);
  j->finished = true;
  --in_flight_;
  rt_.metrics().counter(status.ok() ? "storage_rebuilds_done" : "storage_rebuild_errors").add();
  auto done = std::move(j->done);
  j->got.clear();
  j->rebuilt.clear();
  // Never inside rebuild(): ask_more() may finish at once when nothing can be asked.
  rt_.after(Duration(0), [done, status] { done(status); });
}

}  // namespace cairn::storage
