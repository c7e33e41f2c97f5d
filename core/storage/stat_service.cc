#include "core/storage/stat_service.h"

#include <algorithm>

#include "core/storage/status_wire.h"
#include "core/wire/message_types.h"

namespace cairn::storage {
namespace {

constexpr uint64_t kUnlimited = UINT64_MAX;

}  // namespace

void fill_space(const cas::StoreStats& store, const DiskSpace& disk, wire::NodeStatResponse* out) {
  const uint64_t used = store.used_bytes + store.reserved_bytes;
  uint64_t capacity = kUnlimited;
  uint64_t free = kUnlimited;
  if (store.capacity_bytes != kUnlimited && store.capacity_bytes > 0) {
    capacity = store.capacity_bytes;
    free = store.capacity_bytes > used ? store.capacity_bytes - used : 0;
  }
  if (disk.capacity_bytes != kUnlimited && disk.capacity_bytes > 0) {
    capacity = std::min(capacity, disk.capacity_bytes);
    free = std::min(free, disk.free_bytes);
  }
  if (capacity == kUnlimited) {
    out->set_capacity_bytes(0);
    out->set_free_bytes(0);
  } else {
    out->set_capacity_bytes(capacity);
    out->set_free_bytes(std::min(free, capacity));
  }
  out->set_used_bytes(used);
}

std::vector<MessageType> StatService::types() { return {cairn::wire::kNodeStat}; }

void StatService::on_message(NodeId from, const Message& message) {
  wire::NodeStatRequest request;
  if (!request.ParseFromString(message.header)) {
    rt_.metrics().counter("storage_bad_stat_requests").add();
    return;
  }
  rt_.disk().space([this, from, id = request.request_id(),
                    token = std::weak_ptr<bool>(alive_)](absl::StatusOr<DiskSpace> space) {
    if (token.expired()) return;
    wire::NodeStatResponse response;
    response.set_request_id(id);
    absl::Status st = space.status();
    if (st.ok() && !store_.is_open()) st = absl::UnavailableError("the shard store is recovering");
    if (st.ok()) fill_space(store_.stats(), *space, &response);
    *response.mutable_status() = to_wire(st);
    reply(from, response);
  });
}

void StatService::reply(NodeId to, const wire::NodeStatResponse& response) {
  Message m;
  m.type = cairn::wire::kNodeStatDone;
  m.header = response.SerializeAsString();
  rt_.send(to, std::move(m));
}

}  // namespace cairn::storage
