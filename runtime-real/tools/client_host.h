// ClientHost: what a blocking client of the cluster (kv_blocking_client.h,
// chunk_blocking_client.h) runs its core session on: an Asio runtime on a worker thread of
// its own, client links to the nodes (endpoint i is nodes[i]), and an orderly end.
//
// Promises: the receiver and the down handler run on the loop thread; stop() runs the
// caller's teardown on the loop after the links are closed, so a session is dropped before
// the sockets and the loop go.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "core/runtime/message.h"
#include "runtime-real/host/asio.h"
#include "runtime-real/host/config.h"

namespace cairn::real {

class AsioRuntime;
class ClientLinks;

// A client session id drawn at random: never 0, which means "no session".
uint64_t draw_client_id();

class ClientHost {
 public:
  // `seed` seeds the runtime's Rng. REQUIRES: nodes non-empty.
  ClientHost(std::vector<HostPort> nodes, uint64_t seed, uint64_t max_payload_bytes);
  ~ClientHost();
  ClientHost(const ClientHost&) = delete;
  ClientHost& operator=(const ClientHost&) = delete;

  AsioRuntime& runtime() { return *rt_; }
  std::vector<NodeId> endpoints() const;

  // Routes messages between the runtime and the links, starts the loop and connects to
  // every node. REQUIRES: called once, before any use of the runtime's loop.
  void start(std::function<void(NodeId, const Message&)> receive, std::function<void(NodeId)> down);
  // Closes the links, runs `drop` on the loop, stops the loop. Called by the destructor
  // (with nothing to drop) if not before.
  void stop(std::function<void()> drop);

 private:
  size_t nodes_;
  std::unique_ptr<asio::thread_pool> workers_;
  std::unique_ptr<AsioRuntime> rt_;
  std::unique_ptr<ClientLinks> links_;  // loop thread only
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace cairn::real
