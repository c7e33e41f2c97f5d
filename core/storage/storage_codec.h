// The storage protocol's messages as checked structs: decoding an incoming Message (type,
// header bytes, payload) into a validated request, frame, control or response, or a clear
// InvalidArgument; and encoding them back. Both the StorageService and the RpcShardClient
// read the wire only through here, so every check lives in one place.
//
// Promises: decoding never trusts the input: a header over max_header_bytes, an
// unparsable header, a message type of the other direction, a missing request id or body,
// a digest whose hash is not 32 bytes, more than max_find_missing digests (asked for, or
// in a find_missing answer or a listing), a get range
// that wraps around, a zero window, an empty frame or one over max_frame_bytes are all
// InvalidArgument naming the fault. When the request id could be read it is reported
// even for a rejected message, so that the rejection can be answered.
// Depends only on the generated storage.pb.h, protobuf and Abseil (fuzzed alone:
// tests/fuzz/storage_decode_fuzz.cc).
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "core/cas/digest.h"
#include "core/runtime/message.h"
#include "core/storage/storage.pb.h"

namespace cairn::storage {

struct DecodeLimits {
  uint64_t max_header_bytes = 256 << 10;  // a FindMissing of 4096 digests is ~180 KiB
  uint32_t max_find_missing = 4096;       // digests in one FindMissing
  uint64_t max_frame_bytes = 1 << 20;     // payload of one frame
};

enum class RequestKind { kFindMissing, kStat, kDelete, kPut, kGet, kList };

struct Request {
  uint64_t id = 0;
  RequestKind kind = RequestKind::kStat;
  std::vector<cas::Digest> digests;  // kFindMissing
  cas::Digest digest;                // the others (kList: the cursor, if has_digest)
  bool has_digest = true;            // false only for a kList from the first shard
  uint64_t idle_for_ms = 0;          // kDelete: only a shard unused this long (0: any)
  uint32_t max = 0;                  // kList: the most digests wanted (0: the node's limit)
  uint64_t offset = 0;               // kGet
  uint64_t length = 0;               // kGet
  uint64_t window_bytes = 0;         // kPut, kGet
};

// One frame of a transfer (kShardPutFrame to a node, kShardGetFrame to a client).
struct Frame {
  uint64_t id = 0;
  uint64_t offset = 0;
  Payload bytes;
};

// Credit (kShardControl for a get, kShardPutCredit for a put), a cancel (node-bound), or
// a working notice (kShardWorking, client-bound: the node's disk still owes the transfer).
struct Control {
  uint64_t id = 0;
  uint64_t acked_bytes = 0;
  bool cancel = false;
  bool working = false;
  uint64_t window_bytes = 0;  // put credit: the transfer's window
  uint64_t frame_bytes = 0;   // put credit: the largest frame accepted
};

struct Response {
  uint64_t id = 0;
  absl::Status status;
  std::vector<cas::Digest> missing;  // find_missing
  std::vector<cas::Digest> listed;   // list
  bool more = false;                 // list: shards follow the last one listed
  uint64_t size_bytes = 0;           // stat
  bool deduplicated = false;         // put
};

using NodeBound = std::variant<Request, Frame, Control>;
using ClientBound = std::variant<Response, Frame, Control>;

// A cas::Digest on the wire (also used by the chunk protocol): InvalidArgument unless the
// hash is 32 bytes.
absl::StatusOr<cas::Digest> digest_from(const wire::Digest& d);
void digest_to(const cas::Digest& d, wire::Digest* out);

// `request_id` (may be null) receives the message's request id when it could be read.
absl::StatusOr<NodeBound> decode_node_bound(const Message& m, const DecodeLimits& limits,
                                            uint64_t* request_id);
absl::StatusOr<ClientBound> decode_client_bound(const Message& m, const DecodeLimits& limits,
                                                uint64_t* request_id);

Message encode(const Request& r);
Message encode_put_frame(const Frame& f);
Message encode_get_frame(const Frame& f);
Message encode_control(const Control& c);     // node-bound
Message encode_put_credit(const Control& c);  // client-bound
Message encode_working(uint64_t id);          // client-bound
Message encode(const Response& r);

}  // namespace cairn::storage
