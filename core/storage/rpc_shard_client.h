// RpcShardClient: ShardClient (shard_client.h) over the shard protocol (storage.proto,
// docs/storage.md), through Runtime::send to the StorageService of each node.
//
// Each call gets a fresh CallId, which is also the request id on the wire (ids start at
// a random 64-bit base so that a restarted client does not reuse a live transfer's id).
// Puts and gets stream their bytes in frames with the same credit flow control as the
// node (stream.h): never more than `window_bytes` sent and unacknowledged.
//
// Promises (beyond ShardClient's): a call that hears nothing from its node for
// `call_timeout` ends Unavailable and tells the node to drop its transfer. A node whose
// disk still owes the transfer says so (a working notice, kShardWorking) and is waited
// for, but a call that makes no progress (no frame, credit or answer) for
// `progress_timeout` ends Unavailable all the same; cancel() does
// the same without a callback; a get returns its bytes only once every frame arrived in
// order, and a frame the protocol does not allow ends the call InvalidArgument.
//
// Responses reach it through StorageClientService, which owns it and serves the client-
// bound message types (so a node can hold a StorageService and a client at once).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/runtime/buffer_pool.h"
#include "core/runtime/service.h"
#include "core/storage/shard_client.h"
#include "core/storage/storage_codec.h"
#include "core/storage/stream.h"

namespace cairn::storage {

struct RpcShardClientOptions {
  // The largest frame a put sends (the node may ask for smaller).
  uint64_t frame_bytes = 256 << 10;
  // Unacknowledged bytes per transfer in either direction (the node may ask for fewer).
  uint64_t window_bytes = 4 * (256 << 10);
  // A call with no message from its node for this long ends Unavailable. REQUIRES: above
  // the nodes' working_notice (StorageServiceOptions), or a slow disk ends calls.
  Duration call_timeout = std::chrono::seconds(5);
  // A call with nothing but working notices for this long ends Unavailable: a node whose
  // disk does not serve one frame in a minute is as good as lost to the caller.
  Duration progress_timeout = std::chrono::seconds(60);
  // Digests per find_missing (more: InvalidArgument without sending), as on the node.
  uint32_t max_find_missing = 4096;
  // Gets reassemble their frames into buffers kept for later gets once their bytes are
  // dropped (core/runtime/buffer_pool.h), up to this much capacity in use or idle: five
  // ranges of a whole 64 MiB chunk (four reads of a client in flight, one more starting
  // while the last answer is still being written out), so large gets do not each fault
  // in fresh memory. A node that served such gets keeps up to this much while idle;
  // smaller ranges keep less (at most 32 buffers: the shards of several erasure-coded
  // reads at once).
  uint64_t reuse_bytes_max = uint64_t{5} * (64 << 20);
};

class RpcShardClient final : public ShardClient {
 public:
  RpcShardClient(Runtime& rt, RpcShardClientOptions options = {});
  ~RpcShardClient() override;

  CallId put(NodeId node, const cas::Digest& digest, Payload bytes, PutDone done) override;
  CallId get(NodeId node, const cas::Digest& digest, uint64_t offset, uint64_t length,
             ReadDone done) override;
  CallId find_missing(NodeId node, std::vector<cas::Digest> digests, MissingDone done) override;
  CallId stat(NodeId node, const cas::Digest& digest, StatDone done) override;
  CallId remove(NodeId node, const cas::Digest& digest, Done done) override;
  CallId remove_if_idle(NodeId node, const cas::Digest& digest, Duration idle_for,
                        Done done) override;
  CallId list(NodeId node, std::optional<cas::Digest> after, uint32_t max, ListDone done) override;
  void cancel(CallId id) override;

  // Every client-bound storage message (StorageClientService forwards them).
  void on_message(NodeId from, const Message& message);

  size_t calls() const { return calls_.size(); }
  // The most bytes any put has had sent and unacknowledged.
  uint64_t peak_outstanding_bytes() const { return peak_outstanding_; }
  // Gets whose bytes landed in a buffer an earlier get had filled.
  uint64_t reused_buffers() const { return buffers_.reused(); }

 private:
  struct Call;

  // Registers the call and sends its request, or (refused) fails it later unsent.
  CallId start(NodeId node, Request r, std::unique_ptr<Call> call,
               absl::Status refused = absl::OkStatus());
  void on_response(NodeId from, Response r);
  void on_frame(NodeId from, Frame f);
  void on_credit(NodeId from, const Control& c);
  // Appends a get frame's bytes (accepted, in order) to the call's buffer.
  void gather(Call& c, const Payload& bytes);
  void pump_put(CallId id, Call& c);
  // The call progressed: its silence and progress clocks restart.
  void touch(CallId id, Call& c);
  // Its silence clock (call_timeout) restarts.
  void arm(CallId id, Call& c);
  void on_working(NodeId from, CallId id);
  // Ends call `id` with `status` (not OK), telling the node to drop its transfer.
  void fail(CallId id, absl::Status status);
  std::unique_ptr<Call> take(CallId id);
  Call* find(NodeId from, uint64_t id);
  void later(std::function<void()> fn);

  Runtime& rt_;
  RpcShardClientOptions options_;
  CallId next_id_;
  std::map<CallId, std::unique_ptr<Call>> calls_;
  uint64_t peak_outstanding_ = 0;
  BufferPool buffers_;
  std::shared_ptr<int> life_ = std::make_shared<int>(0);
};

// Serves the client-bound storage message types for the RpcShardClient it owns.
class StorageClientService final : public Service {
 public:
  explicit StorageClientService(Runtime& rt, RpcShardClientOptions options = {})
      : client_(rt, std::move(options)) {}

  static std::vector<MessageType> types();
  std::vector<MessageType> message_types() const override { return types(); }
  void start() override {}
  void on_message(NodeId from, const Message& message) override {
    client_.on_message(from, message);
  }

  RpcShardClient& client() { return client_; }

 private:
  RpcShardClient client_;
};

}  // namespace cairn::storage
