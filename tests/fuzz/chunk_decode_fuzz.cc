// libFuzzer target: the chunk protocol's decoders (core/storage/chunk_wire.h) on arbitrary
// bytes, as a coordinator meets them in a kChunkRequest and a client in a kChunkResponse.
// Every input must give a value or a clear error, never a crash; a layout that decodes
// must validate and survive a round trip unchanged.
#include <cstdint>
#include <cstdlib>

#include "core/storage/chunk.pb.h"
#include "core/storage/chunk_wire.h"
#include "core/storage/status_wire.h"
#include "core/storage/storage_codec.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn::storage;
  wire::ChunkRequest request;
  if (request.ParseFromArray(data, static_cast<int>(size))) {
    if (request.has_put()) {
      (void)digest_from(request.put().chunk());
      (void)write_options_from_wire(request.put());
    }
    if (request.has_get()) {
      auto layout = from_wire(request.get().layout());
      if (layout.ok()) {
        check(validate(*layout).ok());
        auto again = from_wire(to_wire(*layout));
        check(again.ok());
        check(again->chunk == layout->chunk && again->shards.size() == layout->shards.size());
      }
    }
  }
  wire::ChunkResponse response;
  if (response.ParseFromArray(data, static_cast<int>(size))) {
    (void)from_wire(response.status());
    (void)from_wire(response.layout());
  }
  return 0;
}
