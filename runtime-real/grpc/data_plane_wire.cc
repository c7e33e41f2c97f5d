#include "runtime-real/grpc/data_plane_wire.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cairn::real::reapi {

absl::Status FrameSocket::send(MessageType type, const google::protobuf::MessageLite& header,
                               std::string_view payload) {
  Message m;
  m.type = type;
  m.header = header.SerializeAsString();
  static const auto kNoOwner = std::make_shared<const int>(0);
  if (!payload.empty()) m.payload = Payload::alias(kNoOwner, payload);
  wire::FrameMeta meta;
  meta.sequence = sequence_++;
  const auto head = wire::encode_frame_header(m, meta);
  iovec iov[3] = {{const_cast<char*>(head.data()), head.size()},
                  {m.header.data(), m.header.size()},
                  {const_cast<char*>(payload.data()), payload.size()}};
  int first = 0;
  while (first < 3) {
    msghdr msg{};
    msg.msg_iov = iov + first;
    msg.msg_iovlen = static_cast<size_t>(3 - first);
    const ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno)));
    size_t left = static_cast<size_t>(n);
    while (first < 3 && left >= iov[first].iov_len) left -= iov[first++].iov_len;
    if (first < 3) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<wire::Frame> FrameSocket::next() {
  while (!decoder_.has_frame()) {
    if (!decoder_.status().ok()) return decoder_.status();
    std::span<char> want = decoder_.want();
    const ssize_t n = ::recv(fd_, want.data(), want.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return absl::UnavailableError("the connection closed");
    if (n < 0) return absl::UnavailableError(absl::StrCat("recv: ", std::strerror(errno)));
    if (absl::Status s = decoder_.commit(static_cast<size_t>(n)); !s.ok()) return s;
  }
  return decoder_.take();
}

bool FrameSocket::readable(int timeout_ms) const {
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) > 0;
}

absl::Status reply_status(const cairn::v1::DataPlaneReply& r) {
  return absl::Status(static_cast<absl::StatusCode>(r.code()), r.message());
}

cairn::v1::DataPlaneReply status_reply(const absl::Status& s) {
  cairn::v1::DataPlaneReply r;
  r.set_code(static_cast<int>(s.code()));
  r.set_message(std::string(s.message()));
  return r;
}

absl::StatusOr<int> connect_tcp(const std::string& address) {
  const size_t colon = address.rfind(':');
  uint32_t port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("not host:port: ", address));
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", host));
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot connect to ", address));
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace cairn::real::reapi
