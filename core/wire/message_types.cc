#include "core/wire/message_types.h"

namespace cairn::wire {

std::string_view message_type_name(MessageType type) {
  switch (type) {
    case kHeartbeat:
      return "heartbeat";
    case kGossip:
      return "gossip";
    case kSyncRequest:
      return "sync_request";
    case kSyncResponse:
      return "sync_response";
    case kRaftMessage:
      return "raft";
    case kShardRequest:
      return "shard_request";
    case kShardPutFrame:
      return "shard_put_frame";
    case kShardControl:
      return "shard_control";
    case kShardResponse:
      return "shard_response";
    case kShardGetFrame:
      return "shard_get_frame";
    case kShardPutCredit:
      return "shard_put_credit";
    case kShardRebuild:
      return "shard_rebuild";
    case kShardRebuildDone:
      return "shard_rebuild_done";
    case kNodeStat:
      return "node_stat";
    case kNodeStatDone:
      return "node_stat_done";
    case kPlacementUpdate:
      return "placement_update";
    case kShardWorking:
      return "shard_working";
    case kChunkRequest:
      return "chunk_request";
    case kChunkResponse:
      return "chunk_response";
    case kKvRequest:
      return "kv_request";
    case kKvResponse:
      return "kv_response";
    case kAdminRequest:
      return "admin_request";
    case kAdminResponse:
      return "admin_response";
    case kNsRequest:
      return "ns_request";
    case kNsResponse:
      return "ns_response";
    default:
      return type >= kTransportControlFirst ? "transport_control" : "unknown";
  }
}

}  // namespace cairn::wire
