#include "runtime-real/transport/client_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "runtime-real/transport/transport.pb.h"
#include "runtime-real/transport/transport_types.h"

namespace cairn::real {
namespace {

int remaining_ms(ClientConn::Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - ClientConn::Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count(), 60'000));
}

// A non-blocking connect bounded by `deadline`, then back to blocking mode.
absl::StatusOr<int> connect_to(const addrinfo& ai, ClientConn::Clock::time_point deadline) {
  const int fd = ::socket(ai.ai_family, ai.ai_socktype | SOCK_CLOEXEC, ai.ai_protocol);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto fail = [fd](const std::string& why) {
    ::close(fd);
    return absl::UnavailableError(why);
  };
  if (::connect(fd, ai.ai_addr, ai.ai_addrlen) != 0) {
    if (errno != EINPROGRESS && errno != EINTR) return fail(std::strerror(errno));
  }
  pollfd p{fd, POLLOUT, 0};
  const int n = ::poll(&p, 1, remaining_ms(deadline));
  if (n <= 0) return fail("connect timed out");
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return fail(std::strerror(err));
  return fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ClientConn>> ClientConn::open(const HostPort& at,
                                                             Clock::time_point deadline) {
  const std::string where = absl::StrCat(at.host, ":", at.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (::getaddrinfo(at.host.c_str(), std::to_string(at.port).c_str(), &hints, &list) != 0 ||
      list == nullptr) {
    return absl::UnavailableError(absl::StrCat(where, ": cannot resolve the host"));
  }
  // Non-blocking only while connecting: SOCK_NONBLOCK on the socket, cleared after.
  addrinfo ai = *list;
  ai.ai_socktype |= SOCK_NONBLOCK;
  auto fd = connect_to(ai, deadline);
  ::freeaddrinfo(list);
  if (!fd.ok()) return absl::UnavailableError(absl::StrCat(where, ": ", fd.status().message()));
  const int flags = ::fcntl(*fd, F_GETFL);
  ::fcntl(*fd, F_SETFL, flags & ~O_NONBLOCK);
  std::unique_ptr<ClientConn> conn(new ClientConn(*fd, where));
  auto hello = conn->receive(deadline);
  if (!hello.ok()) return hello.status();
  Hello h;
  if (hello->type != kTransportHello || !h.ParseFromString(hello->header) || h.node() == 0) {
    return absl::UnavailableError(absl::StrCat(where, ": no Hello from the node"));
  }
  conn->node_ = h.node();
  return conn;
}

ClientConn::~ClientConn() { ::close(fd_); }

absl::Status ClientConn::write_all(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnavailableError(absl::StrCat(where_, ": ", std::strerror(errno)));
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status ClientConn::send(const Message& message) { return send_batch({message}); }

absl::Status ClientConn::send_batch(const std::vector<Message>& messages) {
  std::string bytes;
  for (const Message& m : messages) bytes += wire::encode_frame(m, wire::FrameMeta{sequence_++});
  return write_all(bytes);
}

absl::Status ClientConn::read_some(Clock::time_point deadline) {
  pollfd p{fd_, POLLIN, 0};
  int n = 0;
  do {
    n = ::poll(&p, 1, remaining_ms(deadline));
  } while (n < 0 && errno == EINTR);
  if (n == 0) return absl::DeadlineExceededError(absl::StrCat(where_, ": no answer in time"));
  std::vector<Message> frames;
  if (absl::Status s = read_available(&frames); !s.ok()) return s;
  for (Message& m : frames) ready_.push_back(std::move(m));
  return absl::OkStatus();
}

absl::Status ClientConn::read_available(std::vector<Message>* out) {
  ssize_t n = 0;
  do {
    const std::span<char> into = reader_.next();
    n = ::recv(fd_, into.data(), into.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n == 0) return absl::UnavailableError(absl::StrCat(where_, ": the node closed"));
  if (n < 0) return absl::UnavailableError(absl::StrCat(where_, ": ", std::strerror(errno)));
  std::vector<wire::Frame> frames;
  const absl::Status s = reader_.landed(static_cast<size_t>(n), &frames);
  for (wire::Frame& f : frames) out->push_back(std::move(f.message));
  if (!s.ok()) return absl::InternalError(absl::StrCat(where_, ": bad frame: ", s.message()));
  return absl::OkStatus();
}

absl::StatusOr<Message> ClientConn::receive(Clock::time_point deadline) {
  while (ready_.empty()) {
    if (absl::Status s = read_some(deadline); !s.ok()) return s;
  }
  Message m = std::move(ready_.front());
  ready_.pop_front();
  return m;
}

}  // namespace cairn::real
