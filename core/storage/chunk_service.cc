#include "core/storage/chunk_service.h"

#include "core/storage/chunk_wire.h"
#include "core/storage/status_wire.h"
#include "core/storage/storage_codec.h"
#include "core/wire/message_types.h"

namespace cairn::storage {

std::vector<MessageType> ChunkService::types() { return {cairn::wire::kChunkRequest}; }

void ChunkService::on_message(NodeId from, const Message& message) {
  wire::ChunkRequest request;
  if (!request.ParseFromString(message.header)) {
    rt_.metrics().counter("storage_bad_chunk_requests").add();
    return reply(from, 0, absl::InvalidArgumentError("unreadable chunk request"), {}, nullptr);
  }
  const uint64_t id = request.request_id();
  auto answer = [this, from, id, token = std::weak_ptr<bool>(alive_)](
                    const absl::Status& st, Payload payload, const ChunkLayout* layout) {
    if (token.expired()) return;
    reply(from, id, st, std::move(payload), layout);
  };
  if (request.has_put()) {
    auto digest = digest_from(request.put().chunk());
    auto options = write_options_from_wire(request.put());
    if (!digest.ok() || !options.ok()) {
      return answer(!digest.ok() ? digest.status() : options.status(), {}, nullptr);
    }
    return coordinator_.put_chunk(*digest, message.payload, *options,
                                  [answer](absl::StatusOr<ChunkLayout> r) {
                                    answer(r.status(), {}, r.ok() ? &*r : nullptr);
                                  });
  }
  if (request.has_get()) {
    auto layout = from_wire(request.get().layout());
    if (!layout.ok()) return answer(layout.status(), {}, nullptr);
    return coordinator_.read_chunk(*layout, request.get().offset(), request.get().length(),
                                   [answer](absl::StatusOr<Payload> r) {
                                     answer(r.status(), r.ok() ? *r : Payload(), nullptr);
                                   });
  }
  answer(absl::InvalidArgumentError("a chunk request is a put or a get"), {}, nullptr);
}

void ChunkService::reply(NodeId to, uint64_t request_id, const absl::Status& status,
                         Payload payload, const ChunkLayout* layout) {
  wire::ChunkResponse response;
  response.set_request_id(request_id);
  *response.mutable_status() = to_wire(status);
  if (layout != nullptr) *response.mutable_layout() = to_wire(*layout);
  Message m;
  m.type = cairn::wire::kChunkResponse;
  response.SerializeToString(&m.header);
  m.payload = std::move(payload);
  rt_.send(to, std::move(m));
}

}  // namespace cairn::storage
