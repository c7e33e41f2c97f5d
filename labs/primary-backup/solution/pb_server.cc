// The reference solution of the primary-backup lab (labs/primary-backup/README.md), built
// in place of the student's pb_server.cc when CAIRN_LAB_REFERENCE is ON, and by the
// pb_reference tests. Teachers: keep it out of the students' copy.
//
// The primary serves one operation at a time: it forwards the operation to the backup,
// waits for the backup to apply it, applies it itself and answers. Reads go through the
// backup too, so a primary that lost its post (the backup refuses) cannot answer from
// stale state. A new backup first receives the whole store; the primary acknowledges its
// view to the view service only then.
#include <deque>

#include "labs/primary-backup/pb_base.h"

namespace cairn::labs::pb {
namespace {

constexpr size_t kMaxQueued = 256;

class PbServer final : public PbServerBase {
 public:
  using PbServerBase::PbServerBase;

 private:
  void on_client_request(const ClientRequest& request) override {
    if (!is_primary()) return reply_not_primary(request);
#if defined(CAIRN_PB_PLANTED_LOCAL_READS)
    // A planted bug (the pb_planted_bug_test build only): a read answered from this
    // server's own store, which is stale once this server has lost its post unknowingly.
    if (request.command.op() == kv::wire::KV_GET) {
      return reply(request, store().apply(request.command));
    }
#endif
    if (queue_.size() >= kMaxQueued) return reply_unavailable(request);
    queue_.push_back(request);
    pump();
  }

  void on_view_change(const wire::View& old) override {
    (void)old;
    in_flight_ = false;
    backup_ready_ = false;
    // A backup holds the primary's data only once this view's State has arrived. A promoted
    // backup keeps its store: it holds every operation the old primary answered.
    has_state_ = false;
    if (!is_primary()) {
      for (const ClientRequest& r : queue_) reply_not_primary(r);
      queue_.clear();
      return;
    }
    if (view().backup() == kNoNode) {
      ack_view();
    } else {
#if defined(CAIRN_PB_PLANTED_EARLY_ACK)
      // A planted bug (the pb_planted_early_ack_test build only): the view is acknowledged
      // before the new backup holds the store, so the view service may promote an empty
      // backup.
      ack_view();
#endif
      send_state();
    }
    pump();
  }

  // Forwards the oldest queued operation, or hands a new backup the store first.
  void pump() {
    if (!is_primary() || in_flight_) return;
    while (view().backup() == kNoNode && !queue_.empty()) {
      reply(queue_.front(), store().apply(queue_.front().command));
      queue_.pop_front();
    }
    if (queue_.empty() || !backup_ready_) return;  // on_tick() resends the store
    in_flight_ = true;
    ++op_;
    send_forward();
  }

  void send_state() {
    wire::Peer p;
    p.mutable_state()->set_view(view().num());
    p.mutable_state()->set_snapshot(store().snapshot());
    send(view().backup(), p);
  }

  void send_forward() {
    wire::Peer p;
    wire::Forward* f = p.mutable_forward();
    f->set_view(view().num());
    f->set_op(op_);
    *f->mutable_command() = queue_.front().command;
    send(view().backup(), p);
  }

  void on_forward(NodeId from, const wire::Forward& forward) override {
    wire::Peer p;
    wire::ForwardReply* r = p.mutable_forward_reply();
    r->set_view(forward.view());
    r->set_op(forward.op());
#if defined(CAIRN_PB_PLANTED_ANY_FORWARD)
    // A planted bug (the pb_planted_any_forward_test build only): a backup applies a forward
    // from any sender for any view, so a cut-off primary of an old view still gets its
    // operations confirmed by a node that is backup to someone else now.
    (void)from;
    const bool ok = is_backup() && has_state_;
#else
    const bool ok =
        is_backup() && has_state_ && from == view().primary() && forward.view() == view().num();
#endif
    r->set_accepted(ok);
    if (ok) *r->mutable_result() = store().apply(forward.command());
    send(from, p);
  }

  void on_forward_reply(NodeId from, const wire::ForwardReply& reply) override {
    if (!in_flight_ || from != view().backup() || reply.view() != view().num() ||
        reply.op() != op_) {
      return;  // late, or for an earlier view
    }
    in_flight_ = false;
    if (!reply.accepted()) {
      // The backup follows another view: this server may no longer be primary. Answer
      // nothing it has not confirmed; the clients retry and the view service decides.
      for (const ClientRequest& r : queue_) reply_unavailable(r);
      queue_.clear();
      return;
    }
    this->reply(queue_.front(), store().apply(queue_.front().command));
    queue_.pop_front();
    pump();
  }

  void on_state(NodeId from, const wire::State& state) override {
    wire::Peer p;
    p.mutable_state_reply()->set_view(state.view());
    const bool ok = is_backup() && from == view().primary() && state.view() == view().num() &&
                    store().restore(state.snapshot());
    if (ok) has_state_ = true;
    p.mutable_state_reply()->set_accepted(ok);
    send(from, p);
  }

  void on_state_reply(NodeId from, const wire::StateReply& reply) override {
    if (!is_primary() || from != view().backup() || reply.view() != view().num() ||
        !reply.accepted() || backup_ready_) {
      return;
    }
    backup_ready_ = true;
    ack_view();
    pump();
  }

  void on_tick() override {
    if (!is_primary() || view().backup() == kNoNode) return;
    if (!backup_ready_) return send_state();
    if (in_flight_) send_forward();
  }

  std::deque<ClientRequest> queue_;
  uint64_t op_ = 0;
  bool in_flight_ = false;
  bool backup_ready_ = false;  // primary: the backup of this view holds the store
  bool has_state_ = false;     // backup: the store came from this view's primary
};

}  // namespace

std::unique_ptr<PbServerBase> make_pb_server(Runtime& rt, NodeId view_service, PbOptions options) {
  return std::make_unique<PbServer>(rt, view_service, options);
}

}  // namespace cairn::labs::pb
