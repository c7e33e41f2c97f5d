#include "core/storage/chunk_wire.h"

#include "absl/strings/str_cat.h"
#include "core/storage/storage_codec.h"

namespace cairn::storage {

wire::Layout to_wire(const ChunkLayout& l) {
  wire::Layout out;
  digest_to(l.chunk, out.mutable_chunk());
  out.set_mode(l.mode == StorageMode::kReplicated ? wire::MODE_REPLICATED : wire::MODE_ERASURE);
  out.set_data_shards(static_cast<uint32_t>(l.data_shards));
  out.set_parity_shards(static_cast<uint32_t>(l.parity_shards));
  out.set_shard_bytes(l.shard_bytes);
  out.set_epoch(l.epoch);
  out.set_mirrored(l.mirrored);
  for (const ShardPlace& s : l.shards) {
    wire::ShardPlace* p = out.add_shards();
    digest_to(s.digest, p->mutable_digest());
    p->set_node(s.node);
  }
  return out;
}

absl::StatusOr<ChunkLayout> from_wire(const wire::Layout& in) {
  ChunkLayout l;
  auto chunk = digest_from(in.chunk());
  if (!chunk.ok()) return chunk.status();
  l.chunk = *chunk;
  if (in.mode() != wire::MODE_REPLICATED && in.mode() != wire::MODE_ERASURE) {
    return absl::InvalidArgumentError("a layout's mode is replicated or erasure");
  }
  l.mode = in.mode() == wire::MODE_REPLICATED ? StorageMode::kReplicated : StorageMode::kErasure;
  if (in.data_shards() > 64 || in.parity_shards() > 64) {
    return absl::InvalidArgumentError("too many shards in a layout");
  }
  l.data_shards = static_cast<int>(in.data_shards());
  l.parity_shards = static_cast<int>(in.parity_shards());
  l.shard_bytes = in.shard_bytes();
  l.epoch = in.epoch();
  l.mirrored = in.mirrored();
  for (const wire::ShardPlace& p : in.shards()) {
    auto d = digest_from(p.digest());
    if (!d.ok()) return d.status();
    l.shards.push_back({*d, p.node()});
  }
  if (auto st = validate(l); !st.ok()) return st;
  return l;
}

absl::StatusOr<WriteOptions> write_options_from_wire(const wire::PutChunk& put) {
  WriteOptions o;
  switch (put.mode()) {
    case wire::MODE_DEFAULT:
      break;
    case wire::MODE_REPLICATED:
      o.mode = StorageMode::kReplicated;
      break;
    case wire::MODE_ERASURE:
      o.mode = StorageMode::kErasure;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat("unknown storage mode ", put.mode()));
  }
  constexpr uint32_t kMax = 64;
  if (put.replicas() > kMax || put.data_shards() > kMax || put.parity_shards() > kMax ||
      put.quorum() > 2 * kMax) {
    return absl::InvalidArgumentError("shard counts out of range");
  }
  o.replicas = static_cast<int>(put.replicas());
  o.data_shards = static_cast<int>(put.data_shards());
  o.parity_shards = static_cast<int>(put.parity_shards());
  o.quorum = static_cast<int>(put.quorum());
  return o;
}

wire::PutChunk put_to_wire(const cas::Digest& digest, const WriteOptions& o) {
  wire::PutChunk put;
  digest_to(digest, put.mutable_chunk());
  if (o.mode) {
    put.set_mode(*o.mode == StorageMode::kReplicated ? wire::MODE_REPLICATED : wire::MODE_ERASURE);
  }
  put.set_replicas(static_cast<uint32_t>(o.replicas));
  put.set_data_shards(static_cast<uint32_t>(o.data_shards));
  put.set_parity_shards(static_cast<uint32_t>(o.parity_shards));
  put.set_quorum(static_cast<uint32_t>(o.quorum));
  return put;
}

}  // namespace cairn::storage
