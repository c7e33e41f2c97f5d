// ChunkService: the chunk protocol (core/storage/chunk.proto) in front of a node's
// Coordinator. Every kChunkRequest gets exactly one kChunkResponse to its sender, carrying
// the coordinator's status unchanged; a request it cannot read is answered InvalidArgument
// (request id 0 if even that could not be read) and counted, and the node keeps serving.
#pragma once

#include <vector>

#include "core/runtime/service.h"
#include "core/storage/coordinator.h"

namespace cairn::storage {

class ChunkService final : public Service {
 public:
  // REQUIRES: the coordinator outlives the service.
  ChunkService(Runtime& rt, Coordinator& coordinator) : rt_(rt), coordinator_(coordinator) {}

  static std::vector<MessageType> types();
  std::vector<MessageType> message_types() const override { return types(); }
  void start() override {}
  void on_message(NodeId from, const Message& message) override;

 private:
  void reply(NodeId to, uint64_t request_id, const absl::Status& status, Payload payload,
             const ChunkLayout* layout);

  Runtime& rt_;
  Coordinator& coordinator_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cairn::storage
