// The namespace's chunk table (core/meta): for every chunk that some kept file version
// names, its current layout and how many kept versions name it.
//
// Promises: refs(d) is the number of kept file versions naming chunk d, a version that
// names the same chunk several times counting once; a chunk is in the table exactly while
// refs > 0. A chunk enters with the layout of the first manifest that names it; later
// manifests naming it do not change its layout (repair updates it in one place, and
// readers get the table's layout).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "core/cas/digest.h"
#include "core/meta/namespace.pb.h"
#include "core/runtime/message.h"

namespace cairn::meta {

// The most bytes a file may keep inline in its manifest (namespace.proto).
inline constexpr uint64_t kMaxInlineBytes = uint64_t{64} << 10;

// InvalidArgument naming the fault unless every chunk of `m` carries a valid layout
// (storage::validate) and the chunks' sizes sum to m.size_bytes(); or, for an inline file,
// unless it has no chunks and its inline bytes (at most kMaxInlineBytes) are size_bytes.
absl::Status check_manifest(const wire::Manifest& m);

class ChunkTable {
 public:
  // A version naming m's chunks is kept / no longer kept. REQUIRES: check_manifest(m) is
  // OK; drop() only of a manifest that was added.
  void add(const wire::Manifest& m);
  void drop(const wire::Manifest& m);

  // Repair's layout change (namespace.proto's MoveShard): shard `shard` of `d` moves from
  // `from` to `to`. OK without change if `to` is already there; NotFound for a chunk not in
  // the table; FailedPrecondition (nothing changes) if the layout does not have `from` at
  // `shard`, or has `to` at another index, or `to` is no node.
  absl::Status move_shard(const cas::Digest& d, uint32_t shard, NodeId from, NodeId to);

  uint64_t refs(const cas::Digest& d) const;
  // The table's layout of `d`, or null if no kept version names it.
  const storage::wire::Layout* layout(const cas::Digest& d) const;
  size_t size() const { return chunks_.size(); }
  // Calls `visit` on every chunk's layout, in digest order.
  void each(absl::FunctionRef<void(const storage::wire::Layout&)> visit) const;

  // Snapshots: save() in digest order; load() one record, DataLoss if it is malformed or
  // repeats a digest.
  void save(wire::NsSnapshot* out) const;
  absl::Status load(const wire::ChunkRecord& record);
  // Same chunks with the same refs (layouts aside).
  bool same_refs(const ChunkTable& other) const;

 private:
  struct Chunk {
    storage::wire::Layout layout;
    uint64_t refs = 0;
  };
  std::map<cas::Digest, Chunk> chunks_;
};

}  // namespace cairn::meta
