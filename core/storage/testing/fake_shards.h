// FakeShards: an in-memory ShardClient for tests of code written against ShardClient
// (the coordinator, later repair), with the faults a storage node can show.
//
// Each node holds shards by digest. Faults, per node or per shard: a node that is down
// (calls answer Unavailable after `timeout`, as RpcShardClient would), answers delayed by a
// node's latency, a full node (puts: ResourceExhausted), a lost shard (NotFound), a corrupt
// shard that the store detects (DataLoss), and a lying shard that serves flipped bytes
// without noticing (what no real store should ever do; it tests the chunk digest check).
// Puts check that the bytes hash to the digest (InvalidArgument), as the store does.
// Promises ShardClient's contract: every callback once, later, never after cancel().
#pragma once

#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/runtime/runtime.h"
#include "core/storage/shard_client.h"

namespace cairn::storage::testing {

class FakeShards final : public ShardClient {
 public:
  explicit FakeShards(Runtime& rt) : rt_(rt) {}

  struct NodeState {
    std::map<cas::Digest, Payload> shards;
    bool down = false;
    bool full = false;
    Duration latency = std::chrono::milliseconds(1);
    std::set<cas::Digest> corrupt;        // detected: DataLoss
    std::set<cas::Digest> lying;          // undetected: flipped bytes
    std::map<cas::Digest, Time> touched;  // last put (stored or deduplicated)
    uint64_t gets = 0;                    // get calls made to this node
  };

  NodeState& node(NodeId id) { return nodes_[id]; }
  bool holds(NodeId id, const cas::Digest& d) const {
    auto it = nodes_.find(id);
    return it != nodes_.end() && it->second.shards.count(d) > 0;
  }
  void lose(NodeId id, const cas::Digest& d) { nodes_[id].shards.erase(d); }
  uint64_t gets = 0;  // get calls made (a read's footprint)
  uint64_t bytes_served = 0;
  uint64_t puts = 0;
  Duration timeout = std::chrono::milliseconds(500);

  CallId put(NodeId id, const cas::Digest& digest, Payload bytes, PutDone done) override {
    ++puts;
    return answer(
        id,
        [this, id, digest, bytes, done]() mutable {
          NodeState& n = nodes_[id];
          if (n.full) return done(absl::ResourceExhaustedError(absl::StrCat("n", id, " is full")));
          if (bytes.size() != digest.size_bytes() ||
              (bytes.virtual_bytes == 0 && cas::Digest::of(bytes.view()) != digest)) {
            return done(absl::InvalidArgumentError("bytes do not hash to the digest"));
          }
          const bool had = n.shards.count(digest) > 0;
          n.shards[digest] = bytes;
          n.touched[digest] = rt_.now();
          n.corrupt.erase(digest);
          n.lying.erase(digest);
          done(cas::PutResult{had});
        },
        [done](absl::Status st) { done(st); });
  }

  CallId get(NodeId id, const cas::Digest& digest, uint64_t offset, uint64_t length,
             ReadDone done) override {
    ++gets;
    ++nodes_[id].gets;
    return answer(
        id,
        [this, id, digest, offset, length, done] {
          NodeState& n = nodes_[id];
          auto it = n.shards.find(digest);
          if (it == n.shards.end()) return done(absl::NotFoundError(digest.format()));
          if (n.corrupt.count(digest) > 0) return done(absl::DataLossError("block CRC mismatch"));
          const Payload& p = it->second;
          if (offset > p.size() || length > p.size() - offset) {
            return done(absl::OutOfRangeError("past the end"));
          }
          bytes_served += length;
          if (p.virtual_bytes > 0) {
            Payload v;
            v.virtual_bytes = length;
            return done(v);
          }
          std::string bytes(p.view().substr(offset, length));
          if (n.lying.count(digest) > 0 && !bytes.empty()) bytes[0] = static_cast<char>(~bytes[0]);
          done(Payload(std::move(bytes)));
        },
        [done](absl::Status st) { done(st); });
  }

  CallId find_missing(NodeId id, std::vector<cas::Digest> digests, MissingDone done) override {
    return answer(
        id,
        [this, id, digests, done] {
          std::vector<cas::Digest> missing;
          for (const auto& d : digests) {
            if (!holds(id, d)) missing.push_back(d);
          }
          done(missing);
        },
        [done](absl::Status st) { done(st); });
  }

  CallId stat(NodeId id, const cas::Digest& digest, StatDone done) override {
    return answer(
        id,
        [this, id, digest, done] {
          if (!holds(id, digest)) return done(absl::NotFoundError(digest.format()));
          done(ShardStat{digest.size_bytes()});
        },
        [done](absl::Status st) { done(st); });
  }

  CallId remove(NodeId id, const cas::Digest& digest, Done done) override {
    return answer(
        id,
        [this, id, digest, done] {
          if (nodes_[id].shards.erase(digest) == 0)
            return done(absl::NotFoundError(digest.format()));
          done(absl::OkStatus());
        },
        [done](absl::Status st) { done(st); });
  }

  CallId remove_if_idle(NodeId id, const cas::Digest& digest, Duration idle_for,
                        Done done) override {
    return answer(
        id,
        [this, id, digest, idle_for, done] {
          NodeState& n = nodes_[id];
          auto it = n.touched.find(digest);
          if (holds(id, digest) && it != n.touched.end() && rt_.now() - it->second < idle_for) {
            return done(absl::FailedPreconditionError(absl::StrCat(digest.format(), " in use")));
          }
          if (n.shards.erase(digest) == 0) return done(absl::NotFoundError(digest.format()));
          done(absl::OkStatus());
        },
        [done](absl::Status st) { done(st); });
  }

  CallId list(NodeId id, std::optional<cas::Digest> after, uint32_t max, ListDone done) override {
    return answer(
        id,
        [this, id, after, max, done] {
          const auto& shards = nodes_[id].shards;
          ShardList out;
          auto it = after.has_value() ? shards.upper_bound(*after) : shards.begin();
          for (; it != shards.end(); ++it) {
            if (max != 0 && out.digests.size() == max) {  // 0: no limit of the caller's
              out.more = true;
              break;
            }
            out.digests.push_back(it->first);
          }
          done(std::move(out));
        },
        [done](absl::Status st) { done(st); });
  }

  void cancel(CallId id) override { cancelled_.insert(id); }

 private:
  // Runs `serve` after the node's latency, or fails with Unavailable after `timeout` when
  // the node is down (judged when the call is made, as a lost request would be).
  template <typename Serve, typename Fail>
  CallId answer(NodeId id, Serve serve, Fail fail) {
    const CallId call = ++next_call_;
    NodeState& n = nodes_[id];
    const bool down = n.down;
    rt_.after(down ? timeout : n.latency, [this, call, id, down, serve, fail]() mutable {
      if (cancelled_.erase(call) > 0) return;
      if (down || nodes_[id].down) {
        return fail(absl::UnavailableError(absl::StrCat("n", id, " did not answer")));
      }
      serve();
    });
    return call;
  }

  Runtime& rt_;
  std::map<NodeId, NodeState> nodes_;
  std::set<CallId> cancelled_;
  CallId next_call_ = 0;
};

}  // namespace cairn::storage::testing
