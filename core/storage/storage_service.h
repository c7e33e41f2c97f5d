// StorageService: a node's side of the shard protocol (core/storage/storage.proto,
// docs/storage.md). It serves the node's ShardStore to RpcShardClients: FindMissing, Stat,
// Delete (at once, or only if unused for a grace) and List at once, and puts and gets as
// streamed transfers with credit flow control.
//
// Promises:
//   - statuses are the store's, carried unchanged (status_wire.h); a malformed message is
//     InvalidArgument, answered when its request id could be read;
//   - a put reaches the store as one streaming put (begin_put, append per frame, commit):
//     a frame out of order, overlapping, past the declared size or beyond the credit ends
//     the transfer with InvalidArgument and aborts the put; a duplicate of an accepted
//     frame is ignored; nothing half-stored is ever left;
//   - a get reads the store only as the client's credit allows: at most `window_bytes`
//     sent (or being read) and unacknowledged per transfer; only bytes the store verified
//     are sent;
//   - at most max_transfers puts and gets at once (beyond: Unavailable); a transfer whose
//     client says nothing for idle_timeout while the node owes it nothing (no store step
//     running, counted from the last message or the last step's end) is ended (its put
//     aborted, its reservation released) and answered Unavailable; a cancel from the
//     client ends it silently;
//   - while a transfer waits on the store (a slow disk), its client hears a working notice
//     (kShardWorking) whenever working_notice has passed since the last message sent to
//     it, so a slow node is not taken for a silent one.
// REQUIRES: the store lives on the same node, is recovered, and outlives this service.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "core/cas/shard_store.h"
#include "core/runtime/service.h"
#include "core/storage/storage_codec.h"
#include "core/storage/stream.h"

namespace cairn::storage {

struct StorageServiceOptions {
  // The largest frame the node sends (get) and accepts (put). REQUIRES: at most the
  // store's max_piece_bytes and max_read_bytes.
  uint64_t frame_bytes = 256 << 10;
  // The most bytes in flight, unacknowledged, per transfer in either direction (a client
  // asking for a smaller window gets its own).
  uint64_t window_bytes = 4 * (256 << 10);
  // Puts and gets open at once on this node; one more is Unavailable.
  uint32_t max_transfers = 32;
  // A transfer whose client says nothing for this long is ended, counted from the client's
  // last message or the end of the node's last store step for it (while a step runs, the
  // client has nothing to say).
  Duration idle_timeout = std::chrono::seconds(10);
  // While a store step of a transfer runs, a working notice goes to its client after this
  // long without any other message to it. REQUIRES: below the clients' call_timeout.
  Duration working_notice = std::chrono::seconds(2);
  // Header size and FindMissing batch bounds (max_frame_bytes is set from frame_bytes).
  DecodeLimits limits;
};

class StorageService final : public Service {
 public:
  StorageService(Runtime& rt, cas::ShardStore& store, StorageServiceOptions options = {});
  ~StorageService() override;

  static std::vector<MessageType> types();
  std::vector<MessageType> message_types() const override { return types(); }
  void start() override {}
  void on_message(NodeId from, const Message& message) override;
  void check_invariants() const override;

  // Transfers open now (those ending included).
  size_t transfers() const { return transfers_.size(); }
  // The most bytes any get transfer has had sent or being read but unacknowledged.
  uint64_t peak_outstanding_bytes() const { return peak_outstanding_; }
  const StorageServiceOptions& options() const { return options_; }
  const cas::ShardStore& store() const { return store_; }

 private:
  using Key = std::pair<NodeId, uint64_t>;
  struct Transfer;

  void on_request(NodeId from, Request r);
  void on_frame(NodeId from, Frame f);
  void on_control(NodeId from, const Control& c);
  void start_put(NodeId from, const Request& r);
  void start_get(NodeId from, const Request& r);
  // Answers Unavailable and returns true when max_transfers are open.
  // The answer to a listing: up to the asked-for count of digests after the cursor.
  Response list(const Request& r) const;
  bool refuse_if_full(NodeId from, uint64_t id);
  // REQUIRES: !refuse_if_full.
  Transfer* open(NodeId from, const Request& r);
  void pump_put(Transfer& t);
  void send_put_credit(Transfer& t);
  void pump_get(Transfer& t);
  void appended(Key key, size_t length, absl::Status st);
  void read_done(Key key, FrameSpan span, absl::StatusOr<Payload> bytes);
  // The client spoke, or a store step ended: the client's silence is counted from now.
  void touch(Transfer& t);
  void arm_idle(Transfer& t, Duration after);
  // A store step for `t` starts: its client hears a working notice if it outlasts
  // working_notice with nothing else sent.
  void owe(Transfer& t);
  void send_to_client(Transfer& t, Message m);
  // Ends a transfer: answers `status` if `answer`, aborts its put (once no store step is
  // in flight), frees it.
  void end(Key key, const absl::Status& status, bool answer);
  void erase(Key key);
  void respond(NodeId to, Response r);
  Transfer* find(Key key);

  Runtime& rt_;
  cas::ShardStore& store_;
  StorageServiceOptions options_;
  std::map<Key, std::unique_ptr<Transfer>> transfers_;
  uint64_t peak_outstanding_ = 0;
  // Store callbacks hold a weak reference: they do nothing once the service is gone.
  std::shared_ptr<int> life_ = std::make_shared<int>(0);
};

}  // namespace cairn::storage
