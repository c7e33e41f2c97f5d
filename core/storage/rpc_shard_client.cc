#include "core/storage/rpc_shard_client.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/wire/crc32c.h"
#include "core/wire/message_types.h"

namespace cairn::storage {

struct RpcShardClient::Call {
  NodeId node = kNoNode;
  RequestKind kind = RequestKind::kStat;
  TimerId timer = kNoTimer;
  Time progressed;    // when the call last moved: started, or a frame, credit or answer came
  bool sent = false;  // its request went out (a refused call never reaches the node)
  // Exactly one of these is set, by kind.
  PutDone put_done;
  ReadDone read_done;
  MissingDone missing_done;
  StatDone stat_done;
  ListDone list_done;
  Done done;
  // put
  Payload bytes;
  std::optional<CreditSender> sender;
  // get
  std::optional<CreditReceiver> receiver;
  std::shared_ptr<std::string> buffer;  // the real bytes so far, from the pool
  uint32_t crc = 0;                     // their CRC32C, while every frame carried one
  bool crc_known = true;
  uint64_t virtual_bytes = 0;          // of a get of a virtual shard: the bytes received
  std::optional<bool> frames_virtual;  // a get's kind, fixed by its first non-empty frame
  std::map<uint64_t, Payload> ahead;   // frames that arrived early (reordered), within the window

  void finish_error(const absl::Status& st) {
    CAIRN_ASSERT(!st.ok());
    if (put_done) return put_done(st);
    if (read_done) return read_done(st);
    if (missing_done) return missing_done(st);
    if (stat_done) return stat_done(st);
    if (list_done) return list_done(st);
    CAIRN_ASSERT(done != nullptr);
    done(st);
  }
};

namespace {

// Reassembly buffers kept at most (each a get's range, reused once its bytes are dropped).
constexpr size_t kReuseBuffersMax = 32;

// `length` bytes of `p` at `offset`, sharing its owner; virtual bytes stay virtual.
Payload slice(const Payload& p, uint64_t offset, uint64_t length) {
  const std::string_view real = p.view();
  Payload out;
  if (offset < real.size()) {
    const size_t n = std::min<uint64_t>(length, real.size() - offset);
    out = Payload::alias(p.owner(), real.substr(offset, n));
  }
  out.virtual_bytes = length - out.size();
  return out;
}

}  // namespace

RpcShardClient::RpcShardClient(Runtime& rt, RpcShardClientOptions options)
    : rt_(rt),
      options_(std::move(options)),
      next_id_((rt.rng().next() >> 1) | 1),
      buffers_(options_.reuse_bytes_max, kReuseBuffersMax) {
  CAIRN_ASSERT(options_.frame_bytes > 0 && options_.window_bytes > 0);
  CAIRN_ASSERT(options_.call_timeout > Duration(0));
}

RpcShardClient::~RpcShardClient() {
  for (auto& [id, c] : calls_) rt_.cancel(c->timer);
}

void RpcShardClient::later(std::function<void()> fn) {
  std::weak_ptr<int> life = life_;
  rt_.after(Duration(0), [life, fn = std::move(fn)] {
    if (!life.expired()) fn();
  });
}

CallId RpcShardClient::start(NodeId node, Request r, std::unique_ptr<Call> call,
                             absl::Status refused) {
  const CallId id = next_id_++;
  call->node = node;
  call->kind = r.kind;
  Call& c = *call;
  calls_[id] = std::move(call);
  touch(id, c);
  if (!refused.ok()) {  // not sent: fails later, as every call does
    later([this, id, refused] { fail(id, refused); });
    return id;
  }
  r.id = id;
  c.sent = true;
  rt_.send(node, encode(r));
  return id;
}

CallId RpcShardClient::put(NodeId node, const cas::Digest& digest, Payload bytes, PutDone done) {
  CAIRN_ASSERT(done != nullptr);
  auto c = std::make_unique<Call>();
  c->put_done = std::move(done);
  absl::Status refused;
  if (bytes.size() != digest.size_bytes()) {
    refused =
        absl::InvalidArgumentError(absl::StrCat(bytes.size(), " bytes for ", digest.format()));
  }
  c->bytes = std::move(bytes);
  return start(
      node,
      Request{.kind = RequestKind::kPut, .digest = digest, .window_bytes = options_.window_bytes},
      std::move(c), refused);
}

CallId RpcShardClient::get(NodeId node, const cas::Digest& digest, uint64_t offset, uint64_t length,
                           ReadDone done) {
  CAIRN_ASSERT(done != nullptr);
  auto c = std::make_unique<Call>();
  c->read_done = std::move(done);
  c->receiver.emplace(length, options_.window_bytes);
  return start(node,
               Request{.kind = RequestKind::kGet,
                       .digest = digest,
                       .offset = offset,
                       .length = length,
                       .window_bytes = options_.window_bytes},
               std::move(c));
}

CallId RpcShardClient::find_missing(NodeId node, std::vector<cas::Digest> digests,
                                    MissingDone done) {
  CAIRN_ASSERT(done != nullptr);
  auto c = std::make_unique<Call>();
  c->missing_done = std::move(done);
  absl::Status refused;
  if (digests.size() > options_.max_find_missing) {
    refused = absl::InvalidArgumentError(absl::StrCat("find_missing of ", digests.size(),
                                                      " digests over the limit of ",
                                                      options_.max_find_missing));
  }
  return start(node, Request{.kind = RequestKind::kFindMissing, .digests = std::move(digests)},
               std::move(c), refused);
}

CallId RpcShardClient::stat(NodeId node, const cas::Digest& digest, StatDone done) {
  CAIRN_ASSERT(done != nullptr);
  auto c = std::make_unique<Call>();
  c->stat_done = std::move(done);
  return start(node, Request{.kind = RequestKind::kStat, .digest = digest}, std::move(c));
}

CallId RpcShardClient::remove(NodeId node, const cas::Digest& digest, Done done) {
  CAIRN_ASSERT(done != nullptr);
  auto c = std::make_unique<Call>();
  c->done = std::move(done);
  return start(node, Request{.kind = RequestKind::kDelete, .digest = digest}, std::move(c));
}

CallId RpcShardClient::remove_if_idle(NodeId node, const cas::Digest& digest, Duration idle_for,
                                      Done done) {
  CAIRN_ASSERT(done != nullptr);
  auto c = std::make_unique<Call>();
  c->done = std::move(done);
  // At least 1 ms: 0 on the wire means no condition.
  const auto ms =
      std::max<int64_t>(1, std::chrono::ceil<std::chrono::milliseconds>(idle_for).count());
  return start(
      node,
      Request{
          .kind = RequestKind::kDelete, .digest = digest, .idle_for_ms = static_cast<uint64_t>(ms)},
      std::move(c));
}

CallId RpcShardClient::list(NodeId node, std::optional<cas::Digest> after, uint32_t max,
                            ListDone done) {
  CAIRN_ASSERT(done != nullptr);
  auto c = std::make_unique<Call>();
  c->list_done = std::move(done);
  Request r{.kind = RequestKind::kList,
            .has_digest = after.has_value(),
            .max = std::min(max, options_.max_find_missing)};
  if (after.has_value()) r.digest = *after;
  return start(node, std::move(r), std::move(c));
}

void RpcShardClient::cancel(CallId id) {
  std::unique_ptr<Call> c = take(id);
  if (c == nullptr || !c->sent) return;
  rt_.send(c->node, encode_control(Control{.id = id, .cancel = true}));
}

void RpcShardClient::on_message(NodeId from, const Message& m) {
  uint64_t id = 0;
  const DecodeLimits limits{.max_find_missing = options_.max_find_missing,
                            .max_frame_bytes = options_.window_bytes};
  absl::StatusOr<ClientBound> got = decode_client_bound(m, limits, &id);
  if (!got.ok()) {
    rt_.metrics().counter("storage_client_bad_messages").add();
    if (find(from, id) != nullptr) fail(id, got.status());
    return;
  }
  if (auto* r = std::get_if<Response>(&*got)) return on_response(from, std::move(*r));
  if (auto* f = std::get_if<Frame>(&*got)) return on_frame(from, std::move(*f));
  const Control& c = std::get<Control>(*got);
  if (c.working) return on_working(from, c.id);
  on_credit(from, c);
}

void RpcShardClient::on_working(NodeId from, CallId id) {
  Call* c = find(from, id);
  if (c == nullptr) return;
  rt_.metrics().counter("storage_client_working_notices").add();
  // Past the progress limit the silence timer runs out as if the node were quiet.
  if (rt_.now() - c->progressed < options_.progress_timeout) arm(id, *c);
}

void RpcShardClient::on_response(NodeId from, Response r) {
  if (find(from, r.id) == nullptr) return;  // finished, cancelled, or not ours
  std::unique_ptr<Call> c = take(r.id);
  if (!r.status.ok()) return c->finish_error(r.status);
  switch (c->kind) {
    case RequestKind::kPut:
      return c->put_done(cas::PutResult{.deduplicated = r.deduplicated});
    case RequestKind::kGet:
      if (c->receiver->total_bytes() != 0) {
        return c->finish_error(absl::InvalidArgumentError("the node ended a get early"));
      }
      return c->read_done(Payload());
    case RequestKind::kFindMissing:
      return c->missing_done(std::move(r.missing));
    case RequestKind::kStat:
      return c->stat_done(ShardStat{.size_bytes = r.size_bytes});
    case RequestKind::kDelete:
      return c->done(absl::OkStatus());
    case RequestKind::kList:
      return c->list_done(ShardList{.digests = std::move(r.listed), .more = r.more});
  }
}

void RpcShardClient::on_frame(NodeId from, Frame f) {
  Call* c = find(from, f.id);
  if (c == nullptr) return;
  if (c->kind != RequestKind::kGet) {
    return fail(f.id, absl::InvalidArgumentError("a get frame the call did not ask for"));
  }
  // A get of a virtual shard (simulation) is all virtual bytes, of a real one all real.
  const bool virtual_frame = f.bytes.virtual_bytes != 0;
  if (f.bytes.size() > 0 && !c->frames_virtual.has_value()) c->frames_virtual = virtual_frame;
  if ((virtual_frame && !f.bytes.view().empty()) ||
      (f.bytes.size() > 0 && *c->frames_virtual != virtual_frame)) {
    return fail(f.id, absl::InvalidArgumentError("a get frame mixing real and virtual bytes"));
  }
  touch(f.id, *c);
  if (c->receiver->ahead(f.offset, f.bytes.size())) {
    c->ahead.emplace(f.offset, std::move(f.bytes));
    return;
  }
  absl::StatusOr<CreditReceiver::Verdict> v = c->receiver->on_frame(f.offset, f.bytes.size());
  if (!v.ok()) return fail(f.id, v.status());
  if (*v == CreditReceiver::Verdict::kDuplicate) return;
  gather(*c, f.bytes);
  uint64_t acked = c->receiver->consume(f.bytes.size());
  // Frames held for having arrived early follow once the gap before them is filled.
  while (!c->ahead.empty() && c->ahead.begin()->first <= c->receiver->received_bytes()) {
    Payload next = std::move(c->ahead.begin()->second);
    const uint64_t at = c->ahead.begin()->first;
    c->ahead.erase(c->ahead.begin());
    v = c->receiver->on_frame(at, next.size());
    if (!v.ok()) return fail(f.id, v.status());
    if (*v == CreditReceiver::Verdict::kDuplicate) continue;
    gather(*c, next);
    acked = c->receiver->consume(next.size());
  }
  rt_.send(from, encode_control(Control{.id = f.id, .acked_bytes = acked}));
  if (!c->receiver->complete()) return;
  std::unique_ptr<Call> done = take(f.id);
  Payload got(std::shared_ptr<const std::string>(std::move(done->buffer)));
  if (done->crc_known && !got.view().empty()) got = got.with_crc32c(done->crc);
  got.virtual_bytes = done->virtual_bytes;
  done->read_done(std::move(got));
}

void RpcShardClient::gather(Call& c, const Payload& bytes) {
  // The whole range's buffer is taken at the first real bytes (a virtual get takes none):
  // one buffer, filled once, never grown and copied.
  if (c.buffer == nullptr && !bytes.view().empty()) {
    c.buffer = buffers_.take(c.receiver->total_bytes());
    c.buffer->clear();  // a reused buffer keeps its capacity
  }
  if (!bytes.view().empty()) {
    c.buffer->append(bytes.view());
    // The range's CRC32C, from its frames' when each carries one (a local store's do).
    c.crc_known = c.crc_known && bytes.has_crc32c();
    if (c.crc_known) {
      c.crc = cairn::wire::crc32c_combine(c.crc, bytes.crc32c(), bytes.view().size());
    }
  }
  c.virtual_bytes += bytes.virtual_bytes;
  CAIRN_ASSERT(c.buffer == nullptr || c.buffer->size() <= c.receiver->total_bytes());
}

void RpcShardClient::on_credit(NodeId from, const Control& credit) {
  Call* c = find(from, credit.id);
  if (c == nullptr) return;
  if (c->kind != RequestKind::kPut) {
    return fail(credit.id, absl::InvalidArgumentError("put credit for a call that is no put"));
  }
  if (!c->sender) {  // the first credit to arrive fixes the window and the frame size
    auto pick = [](uint64_t ours, uint64_t theirs) {
      return theirs == 0 ? ours : std::min(ours, theirs);
    };
    c->sender.emplace(c->bytes.size(), pick(options_.window_bytes, credit.window_bytes),
                      pick(options_.frame_bytes, credit.frame_bytes));
  }
  if (absl::Status st = c->sender->on_ack(credit.acked_bytes); !st.ok()) {
    return fail(credit.id, st);
  }
  touch(credit.id, *c);
  pump_put(credit.id, *c);
}

void RpcShardClient::pump_put(CallId id, Call& c) {
  while (std::optional<FrameSpan> span = c.sender->next()) {
    peak_outstanding_ = std::max(peak_outstanding_, c.sender->outstanding_bytes());
    rt_.send(c.node, encode_put_frame(Frame{.id = id,
                                            .offset = span->offset,
                                            .bytes = slice(c.bytes, span->offset, span->length)}));
  }
}

void RpcShardClient::touch(CallId id, Call& c) {
  c.progressed = rt_.now();
  arm(id, c);
}

void RpcShardClient::arm(CallId id, Call& c) {
  rt_.cancel(c.timer);
  c.timer = rt_.after(options_.call_timeout, [this, id] {
    auto it = calls_.find(id);
    if (it == calls_.end()) return;
    it->second->timer = kNoTimer;
    rt_.metrics().counter("storage_client_timeouts").add();
    fail(id,
         absl::UnavailableError(absl::StrCat("node ", it->second->node, " did not answer within ",
                                             to_seconds(options_.call_timeout), " s")));
  });
}

void RpcShardClient::fail(CallId id, absl::Status status) {
  std::unique_ptr<Call> c = take(id);
  if (c == nullptr) return;
  if (c->sent) rt_.send(c->node, encode_control(Control{.id = id, .cancel = true}));
  c->finish_error(status);
}

std::unique_ptr<RpcShardClient::Call> RpcShardClient::take(CallId id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return nullptr;
  std::unique_ptr<Call> c = std::move(it->second);
  calls_.erase(it);
  rt_.cancel(c->timer);
  return c;
}

RpcShardClient::Call* RpcShardClient::find(NodeId from, uint64_t id) {
  auto it = calls_.find(id);
  if (it == calls_.end() || it->second->node != from) return nullptr;
  return it->second.get();
}

std::vector<MessageType> StorageClientService::types() {
  return {cairn::wire::kShardResponse, cairn::wire::kShardGetFrame, cairn::wire::kShardPutCredit,
          cairn::wire::kShardWorking};
}

}  // namespace cairn::storage
