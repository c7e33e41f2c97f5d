// Shard rebuild on a replacement node: the storage half of repair. Given a chunk's layout
// and the indices of shards this node is to hold, it fetches any k other shards from their
// nodes (through ShardClient), reconstructs only the wanted shards (reconstruct.h, the
// codec the read path uses), checks each against its digest in the layout, and stores it
// in this node's ShardStore.
//
// Promises:
//   - a survivor counts only if it answers with exactly shard_bytes bytes that hash to its
//     digest (virtual payloads, the simulator's, are trusted by length); any survivor that
//     fails (NotFound, DataLoss, wrong bytes, Unavailable) is replaced by another, asked in
//     index order, k at a time;
//   - fewer than k survivors: DataLoss when more than m shards (the wanted ones included)
//     are known lost or corrupt, Unavailable when some could not be reached;
//   - a rebuilt shard that does not hash to its digest is DataLoss and nothing is stored;
//     a store failure is passed on unchanged (ResourceExhausted: this node is full);
//   - InvalidArgument for a layout that does not validate, or indices out of range,
//     repeated or empty; Unavailable beyond max_rebuilds at once;
//   - a mirrored layout's shard is fetched from one copy and, if that fails, from the other
//     before another shard is asked;
//   - survivors on nodes the failure detector holds down (set_alive) are asked only when
//     those on up nodes are not enough, and a mirrored shard is asked first of a copy on an
//     up node: a dead node is not waited for until the call times out;
//   - with copy_first and one wanted shard (a move: the node the layout names for it still
//     holds it; or a mirrored shard whose partner holds it), that shard is first fetched
//     from there: whole (shard_bytes long, hashing
//     to its digest) it is stored as is, one read instead of k; otherwise the rebuild goes
//     on from survivors as above.
// Threading: the node's thread; `done` runs later, never inside the call.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "core/cas/shard_store.h"
#include "core/erasure/codec.h"
#include "core/runtime/runtime.h"
#include "core/storage/chunk_layout.h"
#include "core/storage/shard_client.h"

namespace cairn::storage {

struct RebuilderOptions {
  uint32_t max_rebuilds = 8;  // rebuilds in progress at once on this node
};

class Rebuilder {
 public:
  using Done = std::function<void(absl::Status)>;
  using Alive = std::function<bool(NodeId)>;

  // REQUIRES: rt, shards and store outlive the rebuilder; the store is recovered.
  Rebuilder(Runtime& rt, ShardClient& shards, cas::ShardStore& store,
            RebuilderOptions options = {});
  ~Rebuilder();
  Rebuilder(const Rebuilder&) = delete;
  Rebuilder& operator=(const Rebuilder&) = delete;

  // `shards` are slots of the layout (a mirrored shard's two copies are two slots, and one
  // node holds at most one of them). With copy_first, `copy_from` names the node to copy
  // from (kNoNode: the wanted slot's own node, a move's old place).
  void rebuild(const ChunkLayout& layout, std::vector<int> shards, Done done,
               bool copy_first = false, NodeId copy_from = kNoNode);
  uint32_t in_flight() const { return in_flight_; }
  // Which nodes are believed up (the failure detector's view); default: all.
  void set_alive(Alive alive) { up_ = std::move(alive); }

  struct Job;

 private:
  absl::StatusOr<const erasure::Codec*> codec(const ChunkLayout& layout);
  bool up(NodeId node) const;
  void ask_more(std::shared_ptr<Job> j);
  void ask(std::shared_ptr<Job> j, int index);
  void got(std::shared_ptr<Job> j, int index, absl::StatusOr<Payload> bytes);
  void copied(std::shared_ptr<Job> j, absl::StatusOr<Payload> bytes);
  void decode(std::shared_ptr<Job> j);
  void store(std::shared_ptr<Job> j, size_t at);
  void finish(std::shared_ptr<Job> j, absl::Status status);

  Runtime& rt_;
  ShardClient& shards_;
  cas::ShardStore& store_;
  RebuilderOptions options_;
  std::map<std::tuple<StorageMode, int, int>, std::unique_ptr<erasure::Codec>> codecs_;
  uint32_t in_flight_ = 0;
  Alive up_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cairn::storage
