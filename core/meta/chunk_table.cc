#include "core/meta/chunk_table.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/storage/chunk_wire.h"
#include "core/storage/storage_codec.h"

namespace cairn::meta {
namespace {

cas::Digest digest_of(const storage::wire::Layout& layout) {
  auto d = storage::digest_from(layout.chunk());
  CAIRN_ASSERT(d.ok());  // check_manifest() let only valid layouts in
  return *d;
}

// The distinct chunks `m` names, each with the layout of its first mention.
std::map<cas::Digest, const storage::wire::Layout*> distinct_chunks(const wire::Manifest& m) {
  std::map<cas::Digest, const storage::wire::Layout*> out;
  for (const storage::wire::Layout& l : m.chunks()) out.emplace(digest_of(l), &l);
  return out;
}

}  // namespace

absl::Status check_manifest(const wire::Manifest& m) {
  if (!m.inline_data().empty()) {
    if (m.chunks_size() > 0) {
      return absl::InvalidArgumentError("the manifest has both inline bytes and chunks");
    }
    if (m.inline_data().size() > kMaxInlineBytes) {
      return absl::InvalidArgumentError(absl::StrCat("the manifest's ", m.inline_data().size(),
                                                     " inline bytes are over the limit of ",
                                                     kMaxInlineBytes));
    }
    if (m.inline_data().size() != m.size_bytes()) {
      return absl::InvalidArgumentError(absl::StrCat("the manifest's inline bytes are ",
                                                     m.inline_data().size(),
                                                     ", not its size_bytes ", m.size_bytes()));
    }
    return absl::OkStatus();
  }
  uint64_t sum = 0;
  for (int i = 0; i < m.chunks_size(); ++i) {
    auto layout = storage::from_wire(m.chunks(i));
    if (!layout.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("chunk ", i, " of the manifest: ", layout.status().message()));
    }
    const uint64_t size = layout->chunk.size_bytes();
    if (size > UINT64_MAX - sum) {
      return absl::InvalidArgumentError("the manifest's chunk sizes overflow 64 bits");
    }
    sum += size;
  }
  if (sum != m.size_bytes()) {
    return absl::InvalidArgumentError(absl::StrCat("the manifest's chunks sum to ", sum,
                                                   " bytes, not its size_bytes ", m.size_bytes()));
  }
  return absl::OkStatus();
}

void ChunkTable::add(const wire::Manifest& m) {
  for (const auto& [digest, layout] : distinct_chunks(m)) {
    auto [it, inserted] = chunks_.try_emplace(digest);
    if (inserted) it->second.layout = *layout;
    ++it->second.refs;
    CAIRN_ASSERT(it->second.refs >= 1);
  }
}

void ChunkTable::drop(const wire::Manifest& m) {
  for (const auto& [digest, layout] : distinct_chunks(m)) {
    auto it = chunks_.find(digest);
    CAIRN_ASSERT(it != chunks_.end() && it->second.refs >= 1);
    if (--it->second.refs == 0) chunks_.erase(it);
  }
}

absl::Status ChunkTable::move_shard(const cas::Digest& d, uint32_t shard, NodeId from, NodeId to) {
  auto it = chunks_.find(d);
  if (it == chunks_.end()) {
    return absl::NotFoundError(absl::StrCat("chunk ", d.format(), " is not in the table"));
  }
  storage::wire::Layout& l = it->second.layout;
  if (shard >= static_cast<uint32_t>(l.shards_size())) {
    return absl::FailedPreconditionError(
        absl::StrCat("chunk ", d.format(), " has no shard ", shard));
  }
  if (to == kNoNode) return absl::FailedPreconditionError("a shard cannot move to no node");
  const auto at = static_cast<int>(shard);
  if (l.shards(at).node() == to) return absl::OkStatus();  // applied before: a replay
  if (l.shards(at).node() != from) {
    return absl::FailedPreconditionError(absl::StrCat("shard ", shard, " of chunk ", d.format(),
                                                      " is on n", l.shards(at).node(), ", not n",
                                                      from));
  }
  for (const auto& place : l.shards()) {
    if (place.node() == to) {
      return absl::FailedPreconditionError(
          absl::StrCat("n", to, " already holds another shard of chunk ", d.format()));
    }
  }
  l.mutable_shards(at)->set_node(to);
  return absl::OkStatus();
}

void ChunkTable::each(absl::FunctionRef<void(const storage::wire::Layout&)> visit) const {
  for (const auto& [digest, chunk] : chunks_) visit(chunk.layout);
}

uint64_t ChunkTable::refs(const cas::Digest& d) const {
  auto it = chunks_.find(d);
  return it == chunks_.end() ? 0 : it->second.refs;
}

const storage::wire::Layout* ChunkTable::layout(const cas::Digest& d) const {
  auto it = chunks_.find(d);
  return it == chunks_.end() ? nullptr : &it->second.layout;
}

void ChunkTable::save(wire::NsSnapshot* out) const {
  for (const auto& [digest, chunk] : chunks_) {
    wire::ChunkRecord* r = out->add_chunks();
    *r->mutable_layout() = chunk.layout;
    r->set_refs(chunk.refs);
  }
}

absl::Status ChunkTable::load(const wire::ChunkRecord& record) {
  auto layout = storage::from_wire(record.layout());
  if (!layout.ok()) {
    return absl::DataLossError(
        absl::StrCat("namespace snapshot: a chunk record: ", layout.status().message()));
  }
  if (record.refs() == 0) {
    return absl::DataLossError("namespace snapshot: a chunk record with no refs");
  }
  auto [it, inserted] = chunks_.try_emplace(layout->chunk);
  if (!inserted) {
    return absl::DataLossError(
        absl::StrCat("namespace snapshot: chunk ", layout->chunk.format(), " is recorded twice"));
  }
  it->second.layout = record.layout();
  it->second.refs = record.refs();
  return absl::OkStatus();
}

bool ChunkTable::same_refs(const ChunkTable& other) const {
  return std::equal(chunks_.begin(), chunks_.end(), other.chunks_.begin(), other.chunks_.end(),
                    [](const auto& a, const auto& b) {
                      return a.first == b.first && a.second.refs == b.second.refs;
                    });
}

}  // namespace cairn::meta
