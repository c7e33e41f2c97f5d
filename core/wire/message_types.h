// The registry of message types. Each core module owns a range so that the numbers, which
// appear in frames on the wire and in traces, never collide and never change meaning.
#pragma once

#include <string_view>

#include "core/runtime/message.h"

namespace cairn::wire {

// 0x01xx: membership (core/membership), schema core/wire/membership.proto.
inline constexpr MessageType kHeartbeat = 0x0101;
inline constexpr MessageType kGossip = 0x0102;
inline constexpr MessageType kSyncRequest = 0x0103;
inline constexpr MessageType kSyncResponse = 0x0104;
// 0x02xx: raft (core/raft) peer traffic; the header is a serialized raft::wire::Message.
inline constexpr MessageType kRaftMessage = 0x0201;
// 0x03xx: storage, the shard protocol (core/storage/storage.proto, docs/storage.md).
// Node-bound, served by storage::StorageService:
inline constexpr MessageType kShardRequest = 0x0301;   // storage::wire::ShardRequest
inline constexpr MessageType kShardPutFrame = 0x0302;  // ShardFrame + payload
inline constexpr MessageType kShardControl = 0x0303;   // ShardControl (get credit, cancel)
// Client-bound, served by storage::StorageClientService:
inline constexpr MessageType kShardResponse = 0x0304;   // storage::wire::ShardResponse
inline constexpr MessageType kShardGetFrame = 0x0305;   // ShardFrame + payload
inline constexpr MessageType kShardPutCredit = 0x0306;  // ShardControl (put credit)
// Repair (core/storage/rebuild.proto): rebuild shards on this node, served by
// storage::RebuildService; the answer, served by storage::RebuildClient.
inline constexpr MessageType kShardRebuild = 0x0307;      // storage::wire::RebuildRequest
inline constexpr MessageType kShardRebuildDone = 0x0308;  // storage::wire::RebuildResponse
// Repair's audit: which of these shards does this node lack (served by RebuildService).
inline constexpr MessageType kShardAudit = 0x0309;      // storage::wire::AuditRequest
inline constexpr MessageType kShardAuditDone = 0x030A;  // storage::wire::AuditResponse
// The node-stat probe (core/storage/node_stat.proto): the meta leader's node scoring asks,
// storage::StatService answers.
inline constexpr MessageType kNodeStat = 0x030B;      // storage::wire::NodeStatRequest
inline constexpr MessageType kNodeStatDone = 0x030C;  // storage::wire::NodeStatResponse
// The registry's placement, from the meta leader (served by storage::PlacementListener).
inline constexpr MessageType kPlacementUpdate = 0x030D;  // storage::wire::PlacementUpdate
// Node to client: a transfer waits on the node's disk (ShardControl, request id only).
inline constexpr MessageType kShardWorking = 0x030E;
// 0x038x: the chunk protocol between clients and coordinators
// (core/storage/chunk.proto), served by storage::ChunkService.
inline constexpr MessageType kChunkRequest = 0x0381;   // storage::wire::ChunkRequest
inline constexpr MessageType kChunkResponse = 0x0382;  // storage::wire::ChunkResponse
// 0x04xx: meta. 0x040x: the replicated key-value store (core/kv/kv_client.proto) and Raft's
// admin protocol (core/raft/admin.proto), served by kv::KvService and raft::RaftService.
inline constexpr MessageType kKvRequest = 0x0401;      // kv::wire::KvRequest
inline constexpr MessageType kKvResponse = 0x0402;     // kv::wire::KvResponse
inline constexpr MessageType kAdminRequest = 0x0403;   // raft::wire::AdminRequest
inline constexpr MessageType kAdminResponse = 0x0404;  // raft::wire::AdminResponse
// 0x041x: the namespace (core/meta/namespace_client.proto), served by meta::NamespaceService.
inline constexpr MessageType kNsRequest = 0x0411;   // meta::wire::NsRequest
inline constexpr MessageType kNsResponse = 0x0412;  // meta::wire::NsResponse
// 0x05xx: client.
// 0xFExx: test probes (the simulator's delivery tests); never used by a service.
inline constexpr MessageType kTestProbe = 0xFE01;
// 0xFFxx: reserved for the real runtime's transports among themselves (hello, shared-
// memory offer and answer: runtime-real/transport_types.h); never delivered to services.
inline constexpr MessageType kTransportControlFirst = 0xFF00;

// A short stable name for traces and logs ("heartbeat"), or "unknown".
std::string_view message_type_name(MessageType type);

}  // namespace cairn::wire
