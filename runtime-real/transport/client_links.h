// ClientLinks: asynchronous frame connections from a client to the nodes' client ports
// (runtime-real/client_port.h), on an AsioRuntime's loop. They are the "network" of a
// client-side runtime: endpoint i + 1 is peers[i], and send() to an endpoint connects on
// demand and writes a frame; frames from a node go to the runtime's receiver as if sent
// by that endpoint.
//
// Each node greets with a Hello naming itself; from then on a KvResponse's leader_hint is
// rewritten from the node id to the endpoint of that node (kNoNode while the node has not
// greeted), so the client core speaks only of endpoints. Fire and forget, like
// Runtime::send: messages to an endpoint that cannot be reached are dropped and `on_down`
// is told. Loop thread only, except the constructor.
//
// The links' frame decoders share one pool of payload buffers (core/runtime/buffer_pool.h)
// of kKeptPayloads payloads of the largest size: answers of whole chunks, up to 64 MiB,
// land in memory an earlier answer filled once the caller dropped it, instead of freshly
// mapped memory (each page of which faults and is zeroed on first touch). A client that
// read large chunks several at a time keeps up to that much memory while idle.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/runtime/message.h"
#include "core/wire/frame.h"
#include "core/wire/frame_reader.h"
#include "runtime-real/host/asio.h"
#include "runtime-real/host/config.h"

namespace cairn::real {

class AsioRuntime;

class ClientLinks {
 public:
  using OnDown = std::function<void(NodeId endpoint)>;
  static constexpr size_t kMaxQueued = 64;  // messages waiting for a connection
  // Payload buffers of the largest size the links keep for reuse, together: four calls in
  // flight and one more answer arriving.
  static constexpr uint64_t kKeptPayloads = 5;

  // REQUIRES: peers non-empty; rt outlives this object. Answers may carry payloads of up
  // to max_payload_bytes (a whole chunk for the chunk protocol).
  ClientLinks(AsioRuntime& rt, std::vector<HostPort> peers, uint64_t max_payload_bytes = 1u << 20);
  ~ClientLinks();

  static NodeId endpoint_of(size_t peer) { return static_cast<NodeId>(peer + 1); }
  size_t size() const { return links_.size(); }

  void set_on_down(OnDown on_down) { on_down_ = std::move(on_down); }
  // Opens every connection that is not open (or opening).
  void connect_all();
  void send(NodeId endpoint, Message message);
  // Closes everything; later completions are ignored. Idempotent.
  void close();

 private:
  struct Link;
  void connect(Link& link);
  void start_read(Link& link);
  void on_frames(Link& link, std::vector<wire::Frame>& frames);
  void flush(Link& link);
  void fail(Link& link, const std::string& why);

  AsioRuntime& rt_;
  const wire::FrameLimits limits_;
  const std::shared_ptr<BufferPool> payload_buffers_;  // shared by the links' decoders
  std::vector<std::unique_ptr<Link>> links_;
  std::map<NodeId, NodeId> endpoint_of_node_;  // learnt from Hellos
  OnDown on_down_;
  bool closed_ = false;
};

}  // namespace cairn::real
