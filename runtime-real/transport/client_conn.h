// ClientConn: one blocking frame connection to a node's client port
// (runtime-real/client_port.h), for tools, tests and load generators.
//
// open() connects and reads the node's Hello, so node() says who answers. send() writes a
// whole frame; receive() returns the next frame or fails when `deadline` passes. Any
// error leaves the connection unusable (the caller drops it and reconnects). Not
// thread-safe: one thread per connection, or external locking.
#pragma once

#include <chrono>
#include <deque>
#include <memory>

#include "absl/status/statusor.h"
#include "core/runtime/message.h"
#include "core/wire/frame.h"
#include "core/wire/frame_reader.h"
#include "runtime-real/host/config.h"

namespace cairn::real {

class ClientConn {
 public:
  using Clock = std::chrono::steady_clock;

  static absl::StatusOr<std::unique_ptr<ClientConn>> open(const HostPort& at,
                                                          Clock::time_point deadline);
  ~ClientConn();
  ClientConn(const ClientConn&) = delete;
  ClientConn& operator=(const ClientConn&) = delete;

  NodeId node() const { return node_; }
  int fd() const { return fd_; }
  absl::Status send(const Message& message);
  // Several messages in one write (pipelining).
  absl::Status send_batch(const std::vector<Message>& messages);
  absl::StatusOr<Message> receive(Clock::time_point deadline);
  // For poll()-driven callers once fd() is readable: reads what the socket holds now and
  // appends every complete frame to *out (none if the bytes end mid-frame).
  absl::Status read_available(std::vector<Message>* out);

 private:
  ClientConn(int fd, std::string where) : fd_(fd), where_(std::move(where)) {}
  absl::Status write_all(const std::string& bytes);
  absl::Status read_some(Clock::time_point deadline);

  int fd_;
  std::string where_;
  NodeId node_ = kNoNode;
  uint32_t sequence_ = 0;
  wire::FrameReader reader_{wire::FrameLimits{wire::FrameLimits{}.max_header_bytes, 1u << 20}};
  std::deque<Message> ready_;
};

}  // namespace cairn::real
