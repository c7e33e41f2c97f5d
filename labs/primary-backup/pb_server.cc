// YOUR FILE: the primary-backup server (labs/primary-backup/README.md says what to build,
// the rules and the hints). You may change anything in this file and nothing else. The
// hooks below are called by PbServerBase (pb_base.h), which also lists what a server can
// do: view(), is_primary(), is_backup(), store(), ack_view(), send(), reply(),
// reply_not_primary(), reply_unavailable().
//
// Build and grade:   bash scripts/build.sh build pb-grade && build/labs/primary-backup/pb-grade
#include "labs/primary-backup/pb_base.h"

namespace cairn::labs::pb {
namespace {

class PbServer final : public PbServerBase {
 public:
  using PbServerBase::PbServerBase;

 private:
  // A client asks for request.command. Only the primary serves; it must not answer a
  // write (or a read) before its backup has applied it.
  void on_client_request(const ClientRequest& request) override {
    // TODO: serve on the primary (forward to the backup first), redirect elsewhere.
    reply_unavailable(request);
  }

  // The view service announced a newer view(). A primary with a new backup must hand it
  // the whole store (send a State) before forwarding anything, and must call ack_view()
  // only when it is ready: until then the view service keeps this view.
  void on_view_change(const wire::View& old) override {
    (void)old;  // TODO
  }

  // On the backup: apply the primary's operation, or refuse it (ForwardReply.accepted).
  void on_forward(NodeId from, const wire::Forward& forward) override {
    (void)from, (void)forward;  // TODO
  }

  // On the primary: the backup applied (or refused) an operation: answer the client.
  void on_forward_reply(NodeId from, const wire::ForwardReply& reply) override {
    (void)from, (void)reply;  // TODO
  }

  // On a new backup: the primary's store (store().restore()).
  void on_state(NodeId from, const wire::State& state) override {
    (void)from, (void)state;  // TODO
  }

  void on_state_reply(NodeId from, const wire::StateReply& reply) override {
    (void)from, (void)reply;  // TODO
  }

  // Messages get lost: resend what has not been answered.
  void on_tick() override {}
};

}  // namespace

std::unique_ptr<PbServerBase> make_pb_server(Runtime& rt, NodeId view_service, PbOptions options) {
  return std::make_unique<PbServer>(rt, view_service, options);
}

}  // namespace cairn::labs::pb
