// Frames over shared-memory rings to peers on the same host, beside TCP.
//
// The choice is automatic: a message goes over shared memory when the peer said (in its
// TCP Hello) that it runs on this host and the message is at least `threshold` bytes;
// everything else, and everything while a ring is being set up or after one failed, goes
// over TCP. Set-up: the sender creates a ring named after its pid and offers it over TCP
// (ShmOffer); the receiver maps it, unlinks the name at once (so no name outlives the
// pair) and answers. Each ring has one writer thread (ours) and one reader thread (the
// peer's); a peer that dies or restarts (new pid in its Hello) ends the ring, and later
// messages fall back to TCP until a new ring is up. Frames carry kFlagPayloadUnchecked:
// the bytes never leave this host's memory. Queues are bounded (send() refuses when full
// and the caller uses TCP). Loop-thread methods: wants, send, close; join from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "core/runtime/message.h"
#include "core/runtime/metrics.h"

namespace cairn::real {

class AsioRuntime;
class TcpTransport;

struct ShmOptions {
  uint64_t ring_bytes = 8 << 20;  // rounded up to a power of two
  uint64_t threshold = 64 << 10;
  size_t queue_max = 64;  // messages waiting for one ring's writer thread
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
  void close();
  // Waits for the rings' threads. REQUIRES: close() was called.
  void join();

  class Writer;
  class Reader;

 private:
  struct Peer {
    std::string host_id;
    uint64_t pid = 0;
    enum class Ring { kNone, kOffered, kActive, kRefused } ring = Ring::kNone;
    std::string offered_name;
    std::unique_ptr<Writer> writer;
    std::unique_ptr<Reader> reader;
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
  bool closed_ = false;
  Counter* frames_sent_;
  Counter* bytes_sent_;
};

}  // namespace cairn::real
