// Frames over shared-memory rings to peers on the same host, beside TCP.
//
// The choice is automatic: a message goes over shared memory when the peer said (in its
// TCP Hello) that it runs on this host and the message is at least `threshold` bytes;
// everything else, and everything while a ring is being set up or after one failed, goes
// over TCP. Set-up: the sender creates a ring named after its pid and offers it over TCP
// (ShmOffer); the receiver maps it, unlinks the name at once (so no name outlives the
// pair) and answers. Our loop thread writes frames into the ring (one copy) and the peer's
// loop thread delivers them, large payloads in place (they alias the ring until the
// receiver drops them: no copy), small ones copied (see shm_channel.h); a sleeping waker
// thread per end only wakes a loop when the ring has what it waits for. A peer that dies
// or restarts (new pid in its Hello) ends the ring, and later messages fall back to TCP
// until a new ring is up. A receiver that keeps in-place payloads until they stall the
// writer makes the reader retire the ring: the writer sends what it still queued over
// TCP, and that peer's later rings are read by copying. Frames carry kFlagPayloadUnchecked: the
// bytes never leave this host's memory, and the frame header and protobuf header are still checked.
// Queues are bounded: send() refuses when full (the caller uses TCP or waits for the drain
// handler). Loop-thread methods: wants, send, close, set_drain_handler; join from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/runtime/message.h"
#include "core/runtime/metrics.h"
#include "core/wire/frame.h"

namespace cairn::real {

class AsioRuntime;
class TcpTransport;

struct ShmOptions {
  uint64_t ring_bytes = 8 << 20;  // rounded up to a power of two
  uint64_t threshold = 64 << 10;
  size_t queue_max = 64;  // messages waiting for room in one ring
  wire::FrameLimits limits;
  bool receive_in_place = true;  // false: copy every received frame out of the ring
};

class ShmTransport {
 public:
  ShmTransport(AsioRuntime& rt, TcpTransport& tcp, ShmOptions options);
  ~ShmTransport();

  // True if `message` should and can go over shared memory now. May start setting up a
  // ring to `to` (and answer false until it is up).
  bool wants(NodeId to, const Message& message);
  // ResourceExhausted (queue full) or Unavailable (no ring): send it over TCP instead.
  absl::Status send(NodeId to, const Message& message);

  class Writer;
  class Reader;

  // A message framed in a ring whose payload the caller writes in place (see reserve()).
  // Move-only; dropping it uncommitted abandons it. Loop thread only, and it must not
  // outlive the ShmTransport (commit or drop it in the same turn of the loop).
  class Reservation {
   public:
    Reservation(Reservation&& other) noexcept;
    Reservation& operator=(Reservation&&) = delete;
    ~Reservation();
    // Where the payload's bytes go: exactly this many, all of them written before commit().
    std::span<char> payload() const { return payload_; }

   private:
    friend class ShmTransport;
    Reservation(std::shared_ptr<Writer> writer, std::span<char> payload, uint64_t wire_bytes);
    std::shared_ptr<Writer> writer_;
    std::span<char> payload_;
    uint64_t wire_bytes_ = 0;
  };
  // Frames a message of `type` and `header` to `to` in the ring with room for
  // `payload_bytes` of payload, for a producer (an encoder, say) that writes its output
  // straight there instead of into a buffer that send() would copy. ResourceExhausted
  // (no room, or messages queued before it: the drain handler runs when there is room),
  // Unavailable (no ring: build the payload elsewhere and send it over TCP),
  // InvalidArgument (larger than the ring).
  absl::StatusOr<Reservation> reserve(NodeId to, MessageType type, std::string_view header,
                                      size_t payload_bytes);
  // Hands the reserved message to the reader. Unavailable if the ring broke meanwhile (the
  // payload is still readable: send a copy over TCP).
  absl::Status commit(Reservation reservation);

  // Called (on the loop) when a ring's queue has room again after send() or reserve()
  // refused, or when that ring broke.
  using DrainHandler = std::function<void(NodeId to)>;
  void set_drain_handler(DrainHandler h) { drain_ = std::move(h); }
  void close();
  // Waits for the rings' threads. REQUIRES: close() was called.
  void join();

 private:
  struct Peer {
    std::string host_id;
    uint64_t pid = 0;
    enum class Ring { kNone, kOffered, kActive, kRefused } ring = Ring::kNone;
    std::string offered_name;
    std::shared_ptr<Writer> writer;
    std::shared_ptr<Reader> reader;
    bool in_place = true;  // read this peer's rings in place (until one had to retire)
  };

  void on_hello(NodeId from, const std::string& host_id, uint64_t pid);
  void on_control(NodeId from, const Message& m);
  void offer(NodeId to, Peer& peer);
  void on_offer(NodeId from, const Message& m);
  void on_answer(NodeId from, const Message& m);
  void answer(NodeId to, const std::string& name, bool accepted, const std::string& reason);
  void reset_writer(Peer& peer);

  AsioRuntime& rt_;
  TcpTransport& tcp_;
  ShmOptions options_;
  std::string host_id_;
  std::map<NodeId, Peer> peers_;
  DrainHandler drain_;
  bool closed_ = false;
  Counter* frames_sent_;
  Counter* bytes_sent_;
};

}  // namespace cairn::real
