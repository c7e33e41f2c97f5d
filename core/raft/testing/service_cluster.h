// RaftService nodes on the hand-driven ManualCluster, plus a client endpoint (test tool).
//
// Each node is a Node holding a RaftService replicating a key-value store (core/kv); crash() drops
// it and loses its unsynced disk writes, restart() builds a fresh one that recovers from disk.
// call() and admin() send one request from the client endpoint and run the clock until its answer
// arrives.
#pragma once

#include <map>
#include <memory>
#include <optional>

#include "core/base/assert.h"
#include "core/check/raft_recorder.h"
#include "core/kv/kv_client.pb.h"
#include "core/kv/kv_service.h"
#include "core/kv/kv_state_machine.h"
#include "core/raft/raft_service.h"
#include "core/runtime/manual_runtime.h"
#include "core/wire/message_types.h"

namespace cairn::raft::testing {

class ServiceCluster {
 public:
  static constexpr cairn::NodeId kClient = 100;

  ServiceCluster(uint64_t seed, RaftServiceConfig config) : cluster_(seed), config_(config) {
    config_.observer = &safety;
    cluster_.add_node(kClient);
    cluster_.set_handler(kClient, [this](cairn::NodeId, const Message& m) { on_reply(m); });
  }

  void add(cairn::NodeId id) {
    cluster_.add_node(id);
    boot(id);
  }
  void crash(cairn::NodeId id) {
    cluster_.crash(id);
    nodes_.erase(id);
  }
  void restart(cairn::NodeId id) {
    cluster_.restart(id);
    boot(id);
  }
  // The node's replicated key-value store (null while the node is down).
  const kv::KvStateMachine* kv(cairn::NodeId id) {
    RaftService* s = service(id);
    return s == nullptr ? nullptr : static_cast<const kv::KvStateMachine*>(&s->state_machine());
  }
  RaftService* service(cairn::NodeId id) {
    auto it = nodes_.find(id);
    return it == nodes_.end() ? nullptr : it->second->find<RaftService>();
  }
  ManualCluster& cluster() { return cluster_; }
  void run(Duration d) { cluster_.advance(d); }

  // The one live leader with the highest term, or 0.
  cairn::NodeId leader() {
    cairn::NodeId best = 0;
    uint64_t term = 0;
    for (auto& [id, n] : nodes_) {
      RaftService* s = n->find<RaftService>();
      if (s->is_leader() && s->raft()->term() >= term) best = id, term = s->raft()->term();
    }
    return best;
  }
  // Runs until some node leads (at most `limit`).
  cairn::NodeId await_leader(Duration limit = std::chrono::seconds(5)) {
    for (Duration t{0}; t < limit; t += std::chrono::milliseconds(10)) {
      if (cairn::NodeId l = leader(); l != 0) return l;
      run(std::chrono::milliseconds(10));
    }
    return leader();
  }

  std::optional<kv::wire::KvResponse> call(cairn::NodeId to, kv::wire::KvCommand command,
                                           Duration limit = std::chrono::seconds(2)) {
    kv::wire::KvRequest req;
    req.set_request_id(++next_request_);
    *req.mutable_command() = std::move(command);
    send(to, cairn::wire::kKvRequest, req.SerializeAsString());
    return await_reply(kv_replies_, limit);
  }
  std::optional<wire::AdminResponse> admin(cairn::NodeId to, wire::AdminOp op, uint64_t node,
                                           Duration limit = std::chrono::seconds(2)) {
    wire::AdminRequest req;
    req.set_request_id(++next_request_);
    req.set_op(op);
    req.set_node(node);
    send(to, cairn::wire::kAdminRequest, req.SerializeAsString());
    return await_reply(admin_replies_, limit);
  }

  check::RaftSafetyRecorder safety;

 private:
  void boot(cairn::NodeId id) {
    auto node = std::make_unique<Node>(cluster_.node(id));
    const absl::Status st = kv::install(*node, config_, /*max_sessions=*/1024);
    CAIRN_ASSERT(st.ok());
    Node* raw = node.get();
    nodes_[id] = std::move(node);
    cluster_.set_handler(id, [raw](cairn::NodeId from, const Message& m) {
      raw->deliver(from, m);
      raw->check_invariants();
    });
    raw->start();
  }
  void send(cairn::NodeId to, MessageType type, std::string header) {
    cluster_.node(kClient).send(to, Message{.type = type, .header = std::move(header)});
  }
  void on_reply(const Message& m) {
    if (m.type == cairn::wire::kKvResponse) {
      kv::wire::KvResponse r;
      if (r.ParseFromString(m.header)) kv_replies_[r.request_id()] = r;
    } else if (m.type == cairn::wire::kAdminResponse) {
      wire::AdminResponse r;
      if (r.ParseFromString(m.header)) admin_replies_[r.request_id()] = r;
    }
  }
  template <typename R>
  std::optional<R> await_reply(std::map<uint64_t, R>& replies, Duration limit) {
    for (Duration t{0}; t <= limit; t += std::chrono::milliseconds(1)) {
      auto it = replies.find(next_request_);
      if (it != replies.end()) return it->second;
      run(std::chrono::milliseconds(1));
    }
    return std::nullopt;
  }

  ManualCluster cluster_;
  RaftServiceConfig config_;
  std::map<cairn::NodeId, std::unique_ptr<Node>> nodes_;
  std::map<uint64_t, kv::wire::KvResponse> kv_replies_;
  std::map<uint64_t, wire::AdminResponse> admin_replies_;
  uint64_t next_request_ = 0;
};

inline kv::wire::KvCommand kv_command(kv::wire::KvOp op, std::string key, std::string value = "",
                                      uint64_t client = 0, uint64_t seq = 0,
                                      std::string expected = "") {
  kv::wire::KvCommand c;
  c.set_op(op);
  c.set_key(std::move(key));
  c.set_value(std::move(value));
  c.set_client_id(client);
  c.set_sequence(seq);
  c.set_expected(std::move(expected));
  return c;
}

}  // namespace cairn::raft::testing
