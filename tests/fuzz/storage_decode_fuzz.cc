// libFuzzer target for the storage protocol's decoders (core/storage/storage_codec.h):
// any message type, header bytes and payload, in either direction, yield a validated
// message or one clear InvalidArgument; never a crash or an over-read (built with ASan and
// UBSan). A message that decodes re-encodes to one that decodes to the same fields.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/storage/storage_codec.h"
#include "core/wire/message_types.h"

namespace {

using namespace cairn::storage;

void require(bool ok) {
  if (!ok) std::abort();
}

void check_error(const absl::Status& st) {
  require(absl::IsInvalidArgument(st));
  require(!st.message().empty());
}

void same_request(const Request& a, const Request& b) {
  require(a.id == b.id && a.kind == b.kind && a.digests == b.digests && a.digest == b.digest);
  require(a.offset == b.offset && a.length == b.length && a.window_bytes == b.window_bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  // Byte 0: the type (0x0300 + 0..7, both directions and two strangers, or the working
  // notice); byte 1: where the header ends; the rest is header then payload.
  const int pick = data[0] % 9;
  const cairn::MessageType type =
      pick == 8 ? cairn::wire::kShardWorking : static_cast<cairn::MessageType>(0x0300 + pick);
  const char* rest = reinterpret_cast<const char*>(data + 2);
  const size_t n = size - 2;
  const size_t split = data[1] == 255 ? n : std::min<size_t>(n, data[1] * n / 254);
  cairn::Message m{.type = type, .header = std::string(rest, split)};
  if (split < n) m.payload = cairn::Payload(std::string(rest + split, n - split));
  const DecodeLimits limits{
      .max_header_bytes = 4096, .max_find_missing = 16, .max_frame_bytes = 512};

  uint64_t id = 0;
  absl::StatusOr<NodeBound> node = decode_node_bound(m, limits, &id);
  if (!node.ok()) {
    check_error(node.status());
  } else if (auto* r = std::get_if<Request>(&*node)) {
    require(id == r->id && r->id != 0);
    auto again = decode_node_bound(encode(*r), limits, nullptr);
    require(again.ok());
    same_request(*r, std::get<Request>(*again));
  } else if (auto* f = std::get_if<Frame>(&*node)) {
    require(!f->bytes.empty() && f->bytes.size() <= limits.max_frame_bytes);
  }
  absl::StatusOr<ClientBound> client = decode_client_bound(m, limits, &id);
  if (!client.ok()) {
    check_error(client.status());
  } else if (auto* r = std::get_if<Response>(&*client)) {
    require(id == r->id && r->id != 0);
    auto again = decode_client_bound(encode(*r), limits, nullptr);
    require(again.ok());
    const Response& b = std::get<Response>(*again);
    require(b.status.code() == r->status.code() && b.missing == r->missing);
  } else if (auto* c = std::get_if<Control>(&*client)) {
    require(!c->cancel && id == c->id && c->id != 0);
    require(c->working == (type == cairn::wire::kShardWorking));
    if (c->working) require(c->acked_bytes == 0 && c->window_bytes == 0 && c->frame_bytes == 0);
  }
  // A type belongs to one direction at most.
  require(!(node.ok() && client.ok()));
  return 0;
}
