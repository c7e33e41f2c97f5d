// The data plane's frames (docs/grpc.md, "The data plane"): Cairn frames (core/wire/frame.h,
// 32-byte header, CRC32C over everything) over a blocking TCP socket, used by both ends.
//
//   client -> server  kDataPlaneOpen   DataPlaneOpen (token, client id, digest, direction)
//   server -> client  kDataPlaneReply  DataPlaneReply: refused (a code), or accepted
//                                      (shared memory: the name of the ring to open)
//   then the blob's bytes, in kDataPlaneData frames over TCP or raw in the ring, from the
//   uploader to the other end, and a last kDataPlaneReply from the server: the outcome.
//
// The frame types sit outside the node protocol's (core/wire/message_types.h): the data
// plane has a listener of its own and never reaches a node's transport.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cairn/v1/transfer.pb.h"
#include "core/wire/frame.h"

namespace cairn::real::reapi {

inline constexpr MessageType kDataPlaneOpen = 0xFD01;
inline constexpr MessageType kDataPlaneReply = 0xFD02;
inline constexpr MessageType kDataPlaneData = 0xFD03;
// Bytes in one kDataPlaneData frame.
inline constexpr size_t kDataPlanePieceBytes = 4u << 20;
// A shared-memory ring's data bytes.
inline constexpr uint64_t kDataPlaneRingBytes = 16u << 20;

// One end of a data plane connection over a connected socket (not owned).
class FrameSocket {
 public:
  explicit FrameSocket(int fd) : fd_(fd) {}
  // Unavailable when the peer has gone.
  absl::Status send(MessageType type, const google::protobuf::MessageLite& header,
                    std::string_view payload = {});
  // The next frame. Unavailable at end of stream, DataLoss / InvalidArgument for a bad frame
  // (the connection is then unusable).
  absl::StatusOr<wire::Frame> next();
  // True once the peer has closed or sent something (a poll of `timeout_ms`).
  bool readable(int timeout_ms) const;
  int fd() const { return fd_; }

 private:
  int fd_;
  uint32_t sequence_ = 0;
  wire::FrameDecoder decoder_;
};

// A reply frame's status, and a status as a reply.
absl::Status reply_status(const cairn::v1::DataPlaneReply& r);
cairn::v1::DataPlaneReply status_reply(const absl::Status& s);

// Connects to `address` ("host:port"); the socket, or Unavailable.
absl::StatusOr<int> connect_tcp(const std::string& address);

}  // namespace cairn::real::reapi
