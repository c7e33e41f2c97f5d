#include "core/storage/chunk_workload.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/cas/shard_store.h"
#include "core/wire/message_types.h"

namespace cairn::storage {
namespace {

Duration since_start(Runtime& rt) { return rt.now().time_since_epoch(); }

// What a virtual chunk's read-back can be judged by: a virtual payload of the chunk's
// length, read from shards named after the chunk's digest.
absl::Status check_virtual_read(const ChunkLayout& layout, const Payload& got) {
  if (!got.view().empty()) return absl::DataLossError("a virtual chunk read back with bytes");
  for (int i = 0; i < layout.slots(); ++i) {
    const cas::Digest want =
        layout.mode == StorageMode::kReplicated
            ? layout.chunk
            : virtual_shard_digest(layout.chunk, layout.shard_of(i), layout.shard_bytes);
    if (layout.shards[static_cast<size_t>(i)].digest != want) {
      return absl::DataLossError(absl::StrCat("shard ", i, " of a virtual chunk is named ",
                                              layout.shards[static_cast<size_t>(i)].digest.format(),
                                              ", not ", want.format()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

void ChunkWorkloadOptions::visit(SettingsVisitor& v) {
  v.count("clients", clients, 0, 10000);
  v.rate("rate", rate_per_s);
  v.bytes("size_min", size_min);
  v.bytes("size_max", size_max);
  v.bytes("virtual_above", virtual_above);
  v.count("window", window, 1, 1024);
  v.duration("start", start);
  v.duration("until", until);
  v.duration("verify", verify);
  v.duration("timeout", timeout);
  v.count("retries", retries, 1, 255);
}

absl::Status ChunkWorkloadOptions::validate() const {
  if (size_min > size_max) return absl::InvalidArgumentError("size_min is above size_max");
  if (size_max > (64ull << 20)) {
    return absl::InvalidArgumentError("size_max is above the 64 MiB a chunk may hold");
  }
  if (timeout <= Duration(0)) return absl::InvalidArgumentError("timeout must be positive");
  if (verify > Duration(0) && until > verify) {
    return absl::InvalidArgumentError("until is after verify: writes must stop before read-back");
  }
  return absl::OkStatus();
}

ChunkWorkload::ChunkWorkload(Runtime& rt, std::vector<NodeId> coordinators,
                             const ChunkWorkloadOptions& options, ChunkHistorySink* sink)
    : rt_(rt),
      options_(options),
      sink_(sink),
      session_(rt, std::move(coordinators),
               ChunkSessionOptions{options.timeout, static_cast<uint32_t>(options.retries)}) {
  CAIRN_ASSERT(sink_ != nullptr);
}

ChunkWorkload::~ChunkWorkload() { rt_.cancel(timer_); }

std::vector<MessageType> ChunkWorkload::types() { return {cairn::wire::kChunkResponse}; }

void ChunkWorkload::on_message(NodeId from, const Message& message) {
  session_.on_response(from, message);
}

void ChunkWorkload::start() {
  if (options_.rate_per_s <= 0 && options_.verify <= Duration(0)) return;
  // A random phase so that clients do not move in lockstep.
  const double rate = options_.rate_per_s > 0 ? options_.rate_per_s : 1;
  const Duration phase = from_seconds(rt_.rng().uniform01() / rate);
  timer_ = rt_.after(options_.start - since_start(rt_) + phase, [this] { tick(); });
  if (options_.verify > Duration(0)) {
    rt_.after(options_.verify - since_start(rt_), [this, token = std::weak_ptr<bool>(alive_)] {
      if (token.expired()) return;
      verifying_ = true;
      verify_next();
    });
  }
}

void ChunkWorkload::tick() {
  timer_ = kNoTimer;
  const Duration now = since_start(rt_);
  const Duration until = options_.until > Duration(0) ? options_.until : options_.verify;
  if (options_.rate_per_s <= 0 || (until > Duration(0) && now >= until)) return;
  // A write whose slot comes while the window is full is skipped (an open-loop client
  // would queue without bound).
  if (writes_in_flight_ < options_.window) write_one();
  timer_ = rt_.after(from_seconds(1 / options_.rate_per_s), [this] { tick(); });
}

void ChunkWorkload::write_one() {
  const uint64_t size =
      options_.size_min + rt_.rng().below(options_.size_max - options_.size_min + 1);
  const bool is_virtual = size > options_.virtual_above;
  // A virtual chunk has no bytes: its content is its (random) address.
  std::string data(is_virtual ? cas::Digest::kHashBytes : size, '\0');
  for (size_t i = 0; i < data.size(); i += 8) {
    const uint64_t x = rt_.rng().next();
    std::memcpy(data.data() + i, &x, std::min<size_t>(8, data.size() - i));
  }
  cas::Digest digest;
  Payload bytes;
  if (is_virtual) {
    cas::Digest::Hash hash;
    std::memcpy(hash.data(), data.data(), hash.size());
    digest = cas::Digest(hash, size);
    bytes.virtual_bytes = size;
  } else {
    digest = cas::Digest::of(data);
    bytes = Payload(std::move(data));
  }
  ++writes_in_flight_;
  session_.put(digest, std::move(bytes), {},
               [this, digest, token = std::weak_ptr<bool>(alive_)](absl::StatusOr<ChunkLayout> r) {
                 if (token.expired()) return;
                 --writes_in_flight_;
                 if (!r.ok()) return sink_->write_failed(rt_.self(), digest, r.status());
                 acknowledged_.push_back(*r);
                 sink_->written(rt_.self(), *r);
                 if (verifying_) verify_next();
               });
}

void ChunkWorkload::verify_next() {
  while (reads_in_flight_ < options_.window && next_to_verify_ < acknowledged_.size()) {
    const ChunkLayout layout = acknowledged_[next_to_verify_++];
    ++reads_in_flight_;
    session_.read(
        layout, 0, layout.chunk.size_bytes(),
        [this, layout, token = std::weak_ptr<bool>(alive_)](absl::StatusOr<Payload> r) {
          if (token.expired()) return;
          --reads_in_flight_;
          absl::Status st = r.status();
          if (r.ok() && r->size() != layout.chunk.size_bytes()) {
            st = absl::DataLossError("read back with the wrong length");
          } else if (r.ok() && r->virtual_bytes > 0) {
            st = check_virtual_read(layout, *r);
          } else if (r.ok()) {
            const auto view = r->view();
            const cas::Digest got = cas::Digest::of(view);
            if (got != layout.chunk) {
              st = absl::DataLossError(absl::StrCat("read back as other bytes: ", got.format()));
            }
          }
          sink_->verified(rt_.self(), layout.chunk, st);
          verify_next();
        });
  }
}

}  // namespace cairn::storage
