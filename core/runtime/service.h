// A Service is one role's logic on a node (failure detection, Raft, storage, ...).
// A Node owns a node's services and routes each incoming message to the one service that
// registered its type. Runtimes construct a Node, call start() once, then deliver
// messages; a crash simply destroys the Node (volatile state is gone) and a restart builds
// a fresh one that recovers from the Disk.
#pragma once

#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "core/runtime/runtime.h"

namespace cairn {

class Service {
 public:
  virtual ~Service() = default;
  // Message types this service handles; no two services of a node may share one.
  virtual std::vector<MessageType> message_types() const = 0;
  virtual void start() = 0;
  virtual void on_message(NodeId from, const Message& message) = 0;
  // Asserts the service's internal invariants; the simulator calls it after every step.
  virtual void check_invariants() const {}
};

class Node {
 public:
  explicit Node(Runtime& runtime) : runtime_(runtime) {}
  // Destroys the services in the reverse order of their addition, so a service may use
  // the ones added before it (a shard service its node's store) until its own end.
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // InvalidArgument if a message type is already taken by another service.
  absl::Status add(std::unique_ptr<Service> service);
  void start();
  // Messages of a type no service handles are counted and dropped.
  void deliver(NodeId from, const Message& message);
  void check_invariants() const;

  Runtime& runtime() { return runtime_; }
  // The first service of type T, or nullptr.
  template <typename T>
  T* find() {
    for (auto& s : services_) {
      if (auto* t = dynamic_cast<T*>(s.get())) return t;
    }
    return nullptr;
  }

 private:
  Runtime& runtime_;
  std::vector<std::unique_ptr<Service>> services_;
  absl::flat_hash_map<MessageType, Service*> routes_;
  Counter* unrouted_ = nullptr;
};

}  // namespace cairn
