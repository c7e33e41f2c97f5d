#include "core/storage/storage_service.h"

#include <algorithm>
#include <deque>
#include <optional>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/wire/message_types.h"

namespace cairn::storage {
namespace {

// Store reads in flight per get transfer, at most (the credit bounds them too).
constexpr uint32_t kMaxReadsPerGet = 4;

}  // namespace

struct StorageService::Transfer {
  Key key;
  RequestKind kind = RequestKind::kPut;
  cas::Digest digest;
  TimerId idle = kNoTimer;
  TimerId notice = kNoTimer;  // armed while store steps run (owe())
  Time client_turn;           // since when the node has waited for its client (touch())
  Time last_sent;             // the last message to the client about this transfer
  bool busy = false;          // a store step (append, commit, read) is in flight
  bool ending = false;        // ended while busy: abort and free when the step returns
  // put
  cas::ShardStore::PutId put_id = 0;
  std::optional<CreditReceiver> receiver;
  std::deque<Frame> queue;          // accepted, not yet appended (at most the window)
  std::map<uint64_t, Frame> ahead;  // arrived early (reordered), within the window
  // get
  uint64_t offset = 0;  // of the range in the shard
  std::optional<CreditSender> sender;
  uint32_t reads = 0;  // store reads in flight (frames may be sent out of order)
  bool stepping() const { return busy || reads > 0; }
};

StorageService::StorageService(Runtime& rt, cas::ShardStore& store, StorageServiceOptions options)
    : rt_(rt), store_(store), options_(std::move(options)) {
  CAIRN_ASSERT(options_.frame_bytes > 0 && options_.window_bytes > 0);
  CAIRN_ASSERT(options_.frame_bytes <= store_.options().max_piece_bytes);
  CAIRN_ASSERT(options_.frame_bytes <= store_.options().max_read_bytes);
  CAIRN_ASSERT(options_.max_transfers > 0);
  options_.limits.max_frame_bytes = options_.frame_bytes;
}

StorageService::~StorageService() {
  for (auto& [key, t] : transfers_) {
    rt_.cancel(t->idle);
    rt_.cancel(t->notice);
    if (t->put_id != 0 && !t->busy) store_.abort(t->put_id, [](absl::Status) {});
  }
}

std::vector<MessageType> StorageService::types() {
  return {cairn::wire::kShardRequest, cairn::wire::kShardPutFrame, cairn::wire::kShardControl};
}

void StorageService::on_message(NodeId from, const Message& m) {
  uint64_t id = 0;
  absl::StatusOr<NodeBound> got = decode_node_bound(m, options_.limits, &id);
  if (!got.ok()) {
    rt_.metrics().counter("storage_bad_messages").add();
    if (id == 0) return;
    if (find({from, id}) != nullptr && m.type != cairn::wire::kShardRequest) {
      return end({from, id}, got.status(), true);
    }
    return respond(from, Response{.id = id, .status = got.status()});
  }
  if (auto* r = std::get_if<Request>(&*got)) return on_request(from, std::move(*r));
  if (auto* f = std::get_if<Frame>(&*got)) return on_frame(from, std::move(*f));
  on_control(from, std::get<Control>(*got));
}

void StorageService::on_request(NodeId from, Request r) {
  if (transfers_.contains({from, r.id})) return;  // a duplicate of a request in progress
  switch (r.kind) {
    case RequestKind::kFindMissing: {
      Response out{.id = r.id};
      for (const cas::Digest& d : r.digests) {
        if (!store_.contains(d)) out.missing.push_back(d);
      }
      return respond(from, std::move(out));
    }
    case RequestKind::kStat: {
      Response out{.id = r.id};
      if (store_.contains(r.digest)) {
        out.size_bytes = r.digest.size_bytes();
      } else {
        out.status = absl::NotFoundError(absl::StrCat("no shard ", r.digest.format()));
      }
      return respond(from, std::move(out));
    }
    case RequestKind::kDelete: {
      std::weak_ptr<int> life = life_;
      auto answer = [this, life, from, id = r.id](absl::Status st) {
        if (!life.expired()) respond(from, Response{.id = id, .status = st});
      };
      if (r.idle_for_ms == 0) return store_.remove(r.digest, std::move(answer));
      return store_.remove_if_idle(r.digest, std::chrono::milliseconds(r.idle_for_ms),
                                   std::move(answer));
    }
    case RequestKind::kList:
      return respond(from, list(r));
    case RequestKind::kPut:
      return start_put(from, r);
    case RequestKind::kGet:
      return start_get(from, r);
  }
}

Response StorageService::list(const Request& r) const {
  Response out{.id = r.id};
  const uint32_t max = r.max == 0 ? options_.limits.max_find_missing
                                  : std::min(r.max, options_.limits.max_find_missing);
  std::optional<cas::Digest> at;
  if (r.has_digest) at = r.digest;
  while ((at = store_.next_after(at)).has_value()) {
    if (out.listed.size() == max) {
      out.more = true;
      break;
    }
    out.listed.push_back(*at);
  }
  return out;
}

bool StorageService::refuse_if_full(NodeId from, uint64_t id) {
  if (transfers_.size() < options_.max_transfers) return false;
  rt_.metrics().counter("storage_transfers_refused").add();
  respond(from, Response{.id = id,
                         .status = absl::UnavailableError(absl::StrCat(
                             transfers_.size(), " transfers open on node ", rt_.self()))});
  return true;
}

StorageService::Transfer* StorageService::open(NodeId from, const Request& r) {
  CAIRN_ASSERT(transfers_.size() < options_.max_transfers);
  auto t = std::make_unique<Transfer>();
  t->key = {from, r.id};
  t->kind = r.kind;
  t->digest = r.digest;
  t->last_sent = rt_.now();
  Transfer* raw = t.get();
  transfers_[t->key] = std::move(t);
  touch(*raw);
  return raw;
}

void StorageService::start_put(NodeId from, const Request& r) {
  if (store_.contains(r.digest)) {  // deduplicated without a byte sent
    return respond(from, Response{.id = r.id, .deduplicated = true});
  }
  if (refuse_if_full(from, r.id)) return;
  absl::StatusOr<cas::ShardStore::PutId> put = store_.begin_put(r.digest);
  if (!put.ok()) return respond(from, Response{.id = r.id, .status = put.status()});
  Transfer* t = open(from, r);
  const uint64_t window = std::min(r.window_bytes, options_.window_bytes);
  t->put_id = *put;
  t->receiver.emplace(r.digest.size_bytes(), window);
  send_put_credit(*t);
  pump_put(*t);  // an empty shard commits at once
}

void StorageService::start_get(NodeId from, const Request& r) {
  absl::Status st;
  if (!store_.contains(r.digest)) {
    st = absl::NotFoundError(absl::StrCat("no shard ", r.digest.format()));
  } else if (r.offset + r.length > r.digest.size_bytes()) {
    st = absl::OutOfRangeError(absl::StrCat("range ", r.offset, "+", r.length, " past the shard's ",
                                            r.digest.size_bytes(), " bytes"));
  }
  if (!st.ok() || r.length == 0) return respond(from, Response{.id = r.id, .status = st});
  if (refuse_if_full(from, r.id)) return;
  Transfer* t = open(from, r);
  t->offset = r.offset;
  t->sender.emplace(r.length, std::min(r.window_bytes, options_.window_bytes),
                    options_.frame_bytes);
  pump_get(*t);
}

void StorageService::on_frame(NodeId from, Frame f) {
  const Key key{from, f.id};
  Transfer* t = find(key);
  if (t == nullptr) {
    return respond(from, Response{.id = f.id,
                                  .status = absl::FailedPreconditionError(absl::StrCat(
                                      "no transfer ", f.id, " from node ", from, " is open"))});
  }
  if (t->ending) return;
  if (t->kind != RequestKind::kPut) {
    return end(key, absl::InvalidArgumentError("a put frame for a get"), true);
  }
  touch(*t);
  if (t->receiver->ahead(f.offset, f.bytes.size())) {
    t->ahead.emplace(f.offset, std::move(f));
    return;
  }
  absl::StatusOr<CreditReceiver::Verdict> v = t->receiver->on_frame(f.offset, f.bytes.size());
  if (!v.ok()) return end(key, v.status(), true);
  if (*v == CreditReceiver::Verdict::kDuplicate) {
    rt_.metrics().counter("storage_duplicate_frames").add();
    return;
  }
  t->queue.push_back(std::move(f));
  // Frames held for having arrived early follow once the gap before them is filled.
  while (!t->ahead.empty() && t->ahead.begin()->first <= t->receiver->received_bytes()) {
    Frame next = std::move(t->ahead.begin()->second);
    t->ahead.erase(t->ahead.begin());
    v = t->receiver->on_frame(next.offset, next.bytes.size());
    if (!v.ok()) return end(key, v.status(), true);
    if (*v == CreditReceiver::Verdict::kAccept) t->queue.push_back(std::move(next));
  }
  pump_put(*t);
}

void StorageService::on_control(NodeId from, const Control& c) {
  const Key key{from, c.id};
  Transfer* t = find(key);
  if (t == nullptr || t->ending) return;  // stale: the transfer ended already
  if (c.cancel) return end(key, absl::CancelledError(), false);
  if (t->kind != RequestKind::kGet) {
    return end(key, absl::InvalidArgumentError("get credit for a put"), true);
  }
  if (absl::Status st = t->sender->on_ack(c.acked_bytes); !st.ok()) return end(key, st, true);
  touch(*t);
  if (t->sender->all_acked() && !t->stepping()) return erase(key);
  pump_get(*t);
}

void StorageService::pump_put(Transfer& t) {
  if (t.busy || t.ending) return;
  std::weak_ptr<int> life = life_;
  const Key key = t.key;
  if (!t.queue.empty()) {
    Frame f = std::move(t.queue.front());
    t.queue.pop_front();
    t.busy = true;
    owe(t);
    const size_t length = f.bytes.size();
    return store_.append(t.put_id, std::move(f.bytes), [this, life, key, length](absl::Status st) {
      if (!life.expired()) appended(key, length, st);
    });
  }
  if (t.receiver->received_bytes() < t.receiver->total_bytes()) return;
  t.busy = true;
  owe(t);
  store_.commit(t.put_id, [this, life, key](absl::StatusOr<cas::PutResult> r) {
    if (life.expired()) return;
    Transfer* cur = find(key);
    CAIRN_ASSERT(cur != nullptr && cur->busy);
    cur->busy = false;
    if (!cur->ending) {
      respond(key.first, Response{.id = key.second,
                                  .status = r.status(),
                                  .deduplicated = r.ok() && r->deduplicated});
    }
    cur->put_id = 0;  // the store closed the put either way
    erase(key);
  });
}

void StorageService::appended(Key key, size_t length, absl::Status st) {
  Transfer* t = find(key);
  CAIRN_ASSERT(t != nullptr && t->busy);
  t->busy = false;
  if (!st.ok()) {  // the store discarded the put already
    t->put_id = 0;
    if (!t->ending) respond(key.first, Response{.id = key.second, .status = st});
    return erase(key);
  }
  if (t->ending) return end(key, absl::CancelledError(), false);
  touch(*t);  // the client's turn: its credit is on the way
  t->receiver->consume(length);
  send_put_credit(*t);
  pump_put(*t);
}

// Every credit repeats the window and frame size, so a client reads them from whichever
// credit reaches it first.
void StorageService::send_put_credit(Transfer& t) {
  send_to_client(t, encode_put_credit(Control{.id = t.key.second,
                                              .acked_bytes = t.receiver->consumed_bytes(),
                                              .window_bytes = t.receiver->window_bytes(),
                                              .frame_bytes = options_.frame_bytes}));
}

void StorageService::send_to_client(Transfer& t, Message m) {
  t.last_sent = rt_.now();
  rt_.send(t.key.first, std::move(m));
}

void StorageService::owe(Transfer& t) {
  if (t.notice != kNoTimer) return;
  // Due one working_notice after the last message to the client, not one after this call:
  // the client never waits longer than that between two messages.
  const Duration due = t.last_sent + options_.working_notice - rt_.now();
  t.notice = rt_.after(std::max(due, Duration(0)), [this, key = t.key] {
    Transfer* cur = find(key);
    if (cur == nullptr) return;
    cur->notice = kNoTimer;  // end() cancels it: an ending transfer never gets here
    if (!cur->stepping()) return;
    if (rt_.now() - cur->last_sent >= options_.working_notice) {
      rt_.metrics().counter("storage_working_notices").add();
      send_to_client(*cur, encode_working(key.second));
    }
    owe(*cur);
  });
}

void StorageService::pump_get(Transfer& t) {
  // Reads of the frames the credit allows run side by side (a get is bound by each read's
  // latency otherwise), up to the transfer's share of the store's operations.
  const uint32_t share = std::max<uint32_t>(
      1, store_.options().max_ops_in_flight / std::max<uint32_t>(1, options_.max_transfers));
  while (!t.ending && t.reads < std::min(share, kMaxReadsPerGet)) {
    std::optional<FrameSpan> span = t.sender->next();
    if (!span) return;
    peak_outstanding_ = std::max(peak_outstanding_, t.sender->outstanding_bytes());
    ++t.reads;
    owe(t);
    std::weak_ptr<int> life = life_;
    store_.read_payload(t.digest, t.offset + span->offset, span->length,
                        [this, life, key = t.key, span = *span](absl::StatusOr<Payload> bytes) {
                          if (!life.expired()) read_done(key, span, std::move(bytes));
                        });
  }
}

void StorageService::read_done(Key key, FrameSpan span, absl::StatusOr<Payload> bytes) {
  Transfer* t = find(key);
  CAIRN_ASSERT(t != nullptr && t->reads > 0);
  --t->reads;
  if (t->ending) return t->stepping() ? void() : erase(key);
  if (!bytes.ok()) return end(key, bytes.status(), true);
  CAIRN_ASSERT(bytes->size() == span.length);
  touch(*t);  // the client's turn: to acknowledge this frame
  send_to_client(*t, encode_get_frame(Frame{
                         .id = key.second, .offset = span.offset, .bytes = std::move(*bytes)}));
  rt_.metrics().counter("storage_get_bytes").add(static_cast<int64_t>(span.length));
  pump_get(*t);
}

void StorageService::touch(Transfer& t) {
  t.client_turn = rt_.now();
  if (t.idle == kNoTimer) arm_idle(t, options_.idle_timeout);
}

void StorageService::arm_idle(Transfer& t, Duration after) {
  t.idle = rt_.after(after, [this, key = t.key] {
    Transfer* cur = find(key);
    if (cur == nullptr) return;
    cur->idle = kNoTimer;
    // While a store step runs the node owes, not the client: the step's end restarts the
    // client's clock (touch) and arms the timer again.
    if (cur->stepping()) return;
    const Duration quiet = rt_.now() - cur->client_turn;
    if (quiet < options_.idle_timeout) return arm_idle(*cur, options_.idle_timeout - quiet);
    rt_.metrics().counter("storage_transfers_idle").add();
    end(key,
        absl::UnavailableError(
            absl::StrCat("transfer idle for ", to_seconds(options_.idle_timeout), " s")),
        true);
  });
}

void StorageService::end(Key key, const absl::Status& status, bool answer) {
  Transfer* t = find(key);
  CAIRN_ASSERT(t != nullptr);
  if (answer && !t->ending) respond(key.first, Response{.id = key.second, .status = status});
  t->ending = true;
  t->queue.clear();
  rt_.cancel(t->idle);
  t->idle = kNoTimer;
  rt_.cancel(t->notice);
  t->notice = kNoTimer;
  if (t->stepping()) return;  // the step's completion frees it
  erase(key);
}

void StorageService::erase(Key key) {
  auto it = transfers_.find(key);
  CAIRN_ASSERT(it != transfers_.end() && !it->second->stepping());
  Transfer& t = *it->second;
  rt_.cancel(t.idle);
  rt_.cancel(t.notice);
  // An ended put still open in the store is aborted: nothing half-stored stays.
  if (t.ending && t.put_id != 0) store_.abort(t.put_id, [](absl::Status) {});
  transfers_.erase(it);
}

void StorageService::respond(NodeId to, Response r) { rt_.send(to, encode(r)); }

StorageService::Transfer* StorageService::find(Key key) {
  auto it = transfers_.find(key);
  return it == transfers_.end() ? nullptr : it->second.get();
}

void StorageService::check_invariants() const {
  CAIRN_ASSERT(transfers_.size() <= options_.max_transfers);
  for (const auto& [key, t] : transfers_) {
    if (t->sender) CAIRN_ASSERT(t->sender->outstanding_bytes() <= options_.window_bytes);
    if (t->receiver) CAIRN_ASSERT(t->receiver->buffered_bytes() <= options_.window_bytes);
  }
}

}  // namespace cairn::storage
