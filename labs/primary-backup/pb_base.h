// The primary-backup lab's given code (labs/primary-backup/README.md): what a server can
// do and what it is told. The student's server (pb_server.cc) derives from PbServerBase and
// fills in its hooks; everything else of the lab (the view service, the clients, the
// grading) is given and not to be changed.
//
// Promises of the base: it pings the view service every ping_interval and calls
// on_view_change() once for each newer view it hears of (never for an older one); it
// parses every message and hands it to one hook; on_tick() runs every tick_interval. All
// hooks run on the node's thread, one at a time. A crash destroys the server; a restart
// builds a fresh one that knows nothing (view 0, empty store).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/base/settings.h"
#include "core/kv/kv_client.pb.h"
#include "core/kv/kv_state_machine.h"
#include "core/runtime/service.h"
#include "labs/primary-backup/pb.pb.h"

namespace cairn::labs::pb {

// Message types of the lab (0x7Axx: labs).
inline constexpr MessageType kPbPing = 0x7A01;  // wire::Ping, server -> view service
inline constexpr MessageType kPbView = 0x7A02;  // wire::View, view service -> server
inline constexpr MessageType kPbPeer = 0x7A03;  // wire::Peer, server <-> server

// Options of the `pb` role (settings section `pb`).
struct PbOptions final : RoleOptionsBase<PbOptions> {
  Duration ping_interval = std::chrono::milliseconds(100);
  Duration tick_interval = std::chrono::milliseconds(50);

  void visit(SettingsVisitor& v) override;
  absl::Status validate() const override;
};

// The store both servers keep: the key-value state machine of core/kv. A command retried
// by a client (same client id and sequence) is applied once and answered as the first
// time, so applying the same forwarded command twice is harmless.
class PbStore {
 public:
  kv::wire::KvResult apply(const kv::wire::KvCommand& command);
  std::string snapshot() const { return machine_.snapshot(); }
  // False if `snapshot` is not one (the store is then unchanged).
  bool restore(const std::string& snapshot);

 private:
  kv::KvStateMachine machine_;
};

// One client request, to answer with one of the reply_* calls (or not at all: the client
// times out and tries another server).
struct ClientRequest {
  NodeId from = kNoNode;
  uint64_t request_id = 0;
  kv::wire::KvCommand command;
};

class PbServerBase : public Service {
 public:
  // REQUIRES: view_service is a node; options validated.
  PbServerBase(Runtime& rt, NodeId view_service, PbOptions options);
  ~PbServerBase() override;

  std::vector<MessageType> message_types() const override;
  void start() override;
  void on_message(NodeId from, const Message& message) override;

 protected:
  // --- The hooks a server implements (pb_server.cc) ---
  // A client asks for request.command (get, put, cas or delete).
  virtual void on_client_request(const ClientRequest& request) = 0;
  // view() just became newer than `old`.
  virtual void on_view_change(const wire::View& old) = 0;
  virtual void on_forward(NodeId from, const wire::Forward& forward) = 0;
  virtual void on_forward_reply(NodeId from, const wire::ForwardReply& reply) = 0;
  virtual void on_state(NodeId from, const wire::State& state) = 0;
  virtual void on_state_reply(NodeId from, const wire::StateReply& reply) = 0;
  // Every tick_interval: resend what may have been lost.
  virtual void on_tick() = 0;

  // --- What a server can do ---
  const wire::View& view() const { return view_; }
  NodeId self() const { return rt_.self(); }
  bool is_primary() const { return view_.primary() == self(); }
  bool is_backup() const { return view_.backup() == self(); }
  PbStore& store() { return store_; }
  // The primary tells the view service it is ready to serve view() (the view service
  // changes the view only after its primary did so). A non-primary needs no ack.
  void ack_view() { acked_ = view_.num(); }
  void send(NodeId to, const wire::Peer& message);
  void reply(const ClientRequest& request, const kv::wire::KvResult& result);
  // "Not me": the client retries at view().primary, or at another server if none.
  void reply_not_primary(const ClientRequest& request);
  // "Try again later" (here or elsewhere).
  void reply_unavailable(const ClientRequest& request);
  Runtime& runtime() { return rt_; }

 private:
  void ping();
  void tick();
  void on_view(const wire::View& v);
  void answer(const ClientRequest& request, const kv::wire::KvResponse& response);

  Runtime& rt_;
  const NodeId view_service_;
  const PbOptions options_;
  wire::View view_;
  uint64_t acked_ = 0;
  PbStore store_;
  TimerId ping_timer_ = kNoTimer;
  TimerId tick_timer_ = kNoTimer;
};

// Made by the `pb` role at every boot; defined in the student's pb_server.cc (or in
// solution/pb_server.cc when the build selects the reference solution).
std::unique_ptr<PbServerBase> make_pb_server(Runtime& rt, NodeId view_service, PbOptions options);

}  // namespace cairn::labs::pb
