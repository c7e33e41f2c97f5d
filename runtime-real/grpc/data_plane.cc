#include "runtime-real/grpc/data_plane.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "runtime-real/grpc/data_plane_wire.h"
#include "runtime-real/grpc/resource_name.h"
#include "runtime-real/shm/shm_ring.h"
#include "runtime-real/tools/file_blocking_client.h"

namespace cairn::real::reapi {

namespace v1 = cairn::v1;

namespace {

constexpr int kWaitMs = 50;  // ring waits, between checks of the socket and of stop()

std::string peer_host(int fd) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return "";
  char text[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&a)->sin_addr, text, sizeof text);
  } else if (a.ss_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&a)->sin6_addr, text, sizeof text);
  }
  return caller_host(text);
}

absl::StatusOr<int> listen_tcp(const HostPort& at, uint16_t* port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (::getaddrinfo(at.host.c_str(), std::to_string(at.port).c_str(), &hints, &found) != 0 ||
      found == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("cannot resolve ", at.host));
  }
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const bool ok =
      fd >= 0 && ::bind(fd, found->ai_addr, found->ai_addrlen) == 0 && ::listen(fd, 64) == 0;
  ::freeaddrinfo(found);
  if (!ok) {
    if (fd >= 0) ::close(fd);
    return absl::UnavailableError(
        absl::StrCat("the data plane cannot listen on ", at.host, ":", at.port));
  }
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&a)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&a)->sin_port);
  return fd;
}

}  // namespace

// One connection: a sequence of transfers, each opened with a token.
class DataPlane::Session {
 public:
  Session(DataPlane& dp, int fd) : dp_(dp), sock_(fd), host_(peer_host(fd)) {}

  void run() {
    while (!dp_.stopping_) {
      auto f = sock_.next();
      if (!f.ok()) return;
      if (!transfer(*f)) return;
    }
  }

 private:
  // One transfer; false when the connection is no longer usable.
  bool transfer(const wire::Frame& f) {
    v1::DataPlaneOpen open;
    if (f.message.type != kDataPlaneOpen || !open.ParseFromString(f.message.header)) {
      (void)sock_.send(kDataPlaneReply,
                       status_reply(absl::InvalidArgumentError("expected a DataPlaneOpen")));
      return false;
    }
    auto digest = to_digest(open.digest().hash(), open.digest().size_bytes());
    if (!digest.ok()) return refuse(digest.status());
    if (open.direction() != v1::UPLOAD && open.direction() != v1::DOWNLOAD) {
      return refuse(absl::InvalidArgumentError("direction must be UPLOAD or DOWNLOAD"));
    }
    const auto direction =
        open.direction() == v1::UPLOAD ? TransferDirection::kUpload : TransferDirection::kDownload;
    if (open.shared_memory() && !dp_.options_.shared_memory) {
      return refuse(absl::FailedPreconditionError("this server offers no shared memory"));
    }
    if (open.shared_memory() && host_ != "loopback") {
      return refuse(
          absl::FailedPreconditionError("shared memory is for clients on the server's host"));
    }
    std::string id;
    absl::StatusOr<std::string> dir;
    {
      absl::MutexLock lock(&dp_.mu_);
      dir = dp_.tokens_.redeem(open.token(), *digest, direction,
                               TokenCaller{open.client_id(), host_}, dp_.now_ms());
      if (!dir.ok()) {
        dp_.ledger_.token_refused();
      } else {
        id = absl::StrCat("t", dp_.next_transfer_++);
        dp_.ledger_.begin(id, direction, open.shared_memory(), *digest, dp_.now_ms());
      }
    }
    if (!dir.ok()) return refuse(dir.status());
    bool usable = true;
    absl::Status s = direction == TransferDirection::kUpload
                         ? upload(id, *dir, *digest, open.shared_memory(), &usable)
                         : download(id, *dir, *digest, open.shared_memory(), &usable);
    {
      absl::MutexLock lock(&dp_.mu_);
      dp_.ledger_.end(id, s, dp_.now_ms());
    }
    // The outcome, even when the connection is to close after it (a client that sent more
    // than the digest's size may still read it).
    v1::DataPlaneReply done = status_reply(s);
    done.set_transfer_id(id);
    return sock_.send(kDataPlaneReply, done).ok() && usable;
  }

  bool refuse(const absl::Status& s) { return sock_.send(kDataPlaneReply, status_reply(s)).ok(); }

  // Accepts the transfer: a reply naming it (and its ring, for shared memory).
  bool accept(const std::string& id, const ShmRing* ring) {
    v1::DataPlaneReply r;
    r.set_transfer_id(id);
    if (ring != nullptr) r.set_ring(ring->name());
    return sock_.send(kDataPlaneReply, r).ok();
  }

  void progress(const std::string& id, uint64_t bytes) {
    absl::MutexLock lock(&dp_.mu_);
    dp_.ledger_.add(id, bytes);
  }

  // Ring waits end when the client sends or closes (it has gone or broken protocol) or on
  // stop(): Unavailable then, and the connection is dropped.
  absl::Status peer_check(bool* usable) {
    if (dp_.stopping_) {
      *usable = false;
      return absl::UnavailableError("the server is stopping");
    }
    if (sock_.readable(0)) {
      *usable = false;
      return absl::UnavailableError("the client left during a shared-memory transfer");
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<ShmRing>> make_ring() {
    return ShmRing::create(ShmRing::make_name(0xDA7A, 0), kDataPlaneRingBytes);
  }

  absl::Status upload(const std::string& id, const std::string& dir, const cas::Digest& digest,
                      bool shm, bool* usable) {
    std::unique_ptr<ShmRing> ring;
    if (shm) {
      auto r = make_ring();
      if (!r.ok()) return r.status();
      ring = std::move(*r);
    }
    auto handle = dp_.g_.spool->open(absl::StrCat("data-plane/", id), digest);
    if (!handle.ok()) return handle.status();
    if (!accept(id, ring.get())) {
      *usable = false;
      (*handle)->done();
      return absl::UnavailableError("the client left");
    }
    absl::Status s = ring ? receive_ring(id, *ring, **handle, digest.size_bytes(), usable)
                          : receive_frames(id, **handle, digest.size_bytes(), usable);
    if (ring) {
      ring->close();
      ShmRing::unlink(ring->name());
    }
    if (!s.ok()) {
      (*handle)->done();
      return s;
    }
    auto path = (*handle)->finish();  // the digest check: nothing is stored on a mismatch
    if (!path.ok()) return path.status();
    auto source = FileSource::open(*path);
    s = source.ok() ? dp_.g_.store_blob(dir, digest, std::move(*source)) : source.status();
    (*handle)->done();
    return s;
  }

  absl::Status receive_frames(const std::string& id, UploadSpool::Handle& up, uint64_t size,
                              bool* usable) {
    uint64_t got = 0;
    while (got < size) {
      auto f = sock_.next();
      if (!f.ok()) {
        *usable = false;
        return f.status();
      }
      if (f->message.type != kDataPlaneData) {
        *usable = false;
        return absl::InvalidArgumentError("expected the blob's bytes");
      }
      const std::string_view bytes = f->message.payload.view();
      if (got + bytes.size() > size) *usable = false;  // the rest of them would follow
      if (absl::Status s = up.append(got, bytes); !s.ok()) return s;
      got += bytes.size();
      progress(id, bytes.size());
    }
    return absl::OkStatus();
  }

  absl::Status receive_ring(const std::string& id, ShmRing& ring, UploadSpool::Handle& up,
                            uint64_t size, bool* usable) {
    uint64_t got = 0;
    while (got < size) {
      std::span<const char> avail = ring.readable();
      if (avail.empty()) {
        if (ring.closed()) return absl::UnavailableError("the client closed the ring");
        if (absl::Status s = peer_check(usable); !s.ok()) return s;
        ring.wait_for_data(kWaitMs, ring.read_index() + 1);
        continue;
      }
      const size_t n = static_cast<size_t>(std::min<uint64_t>(avail.size(), size - got));
      if (absl::Status s = up.append(got, {avail.data(), n}); !s.ok()) return s;
      ring.consume(n);
      got += n;
      progress(id, n);
    }
    return absl::OkStatus();
  }

  absl::Status download(const std::string& id, const std::string& dir, const cas::Digest& digest,
                        bool shm, bool* usable) {
    auto held = dp_.g_.has_blob(dir, digest);
    if (!held.ok()) return held.status();
    if (!*held) return absl::NotFoundError(absl::StrCat("no blob ", digest.format()));
    std::unique_ptr<ShmRing> ring;
    if (shm) {
      auto r = make_ring();
      if (!r.ok()) return r.status();
      ring = std::move(*r);
    }
    if (!accept(id, ring.get())) {
      *usable = false;
      return absl::UnavailableError("the client left");
    }
    absl::Status s;
    if (digest.size_bytes() > 0) {
      s = dp_.g_.store->read(blob_path(dir, digest), 0, digest.size_bytes(),
                             [&](const Payload& piece) {
                               return ring ? send_ring(id, *ring, piece.view(), usable)
                                           : send_frames(id, piece.view(), usable);
                             });
    }
    if (ring) {
      if (s.ok()) s = drained(*ring, usable);  // the client opened the ring and read it all
      if (!s.ok()) ring->close();  // the client stops waiting for bytes and reads the outcome
      ShmRing::unlink(ring->name());
    }
    return s;
  }

  absl::Status send_frames(const std::string& id, std::string_view bytes, bool* usable) {
    static const v1::DataPlaneReply kNoHeader;
    for (size_t at = 0; at < bytes.size(); at += kDataPlanePieceBytes) {
      const std::string_view piece = bytes.substr(at, kDataPlanePieceBytes);
      if (absl::Status s = sock_.send(kDataPlaneData, kNoHeader, piece); !s.ok()) {
        *usable = false;
        return s;
      }
      progress(id, piece.size());
    }
    return absl::OkStatus();
  }

  // Waits until the client has taken every byte written (or closed the ring).
  absl::Status drained(ShmRing& ring, bool* usable) {
    while (ring.read_index() < ring.write_index() && !ring.closed()) {
      if (absl::Status s = peer_check(usable); !s.ok()) return s;
      ring.wait_for_space(kWaitMs, ring.capacity());
    }
    return absl::OkStatus();
  }

  absl::Status send_ring(const std::string& id, ShmRing& ring, std::string_view bytes,
                         bool* usable) {
    while (!bytes.empty()) {
      const size_t n = ring.write_some(bytes.data(), bytes.size());
      if (n == 0) {
        if (ring.closed()) return absl::UnavailableError("the client closed the ring");
        if (absl::Status s = peer_check(usable); !s.ok()) return s;
        ring.wait_for_space(kWaitMs, std::min<size_t>(bytes.size(), ring.capacity() / 2));
        continue;
      }
      bytes.remove_prefix(n);
      progress(id, n);
    }
    return absl::OkStatus();
  }

  DataPlane& dp_;
  FrameSocket sock_;
  const std::string host_;
};

absl::StatusOr<std::unique_ptr<DataPlane>> DataPlane::start(Gateway& g, DataPlaneOptions options) {
  uint16_t port = 0;
  auto fd = listen_tcp(options.listen, &port);
  if (!fd.ok()) return fd.status();
  if (options.shared_memory) ShmRing::sweep_dead_segments();
  auto dp = std::unique_ptr<DataPlane>(new DataPlane(g, std::move(options), *fd, port));
  dp->acceptor_ = std::thread([p = dp.get()] { p->accept_loop(); });
  return dp;
}

DataPlane::DataPlane(Gateway& g, DataPlaneOptions options, int listen_fd, uint16_t port)
    : g_(g), options_(std::move(options)), listen_fd_(listen_fd), port_(port) {}

DataPlane::~DataPlane() { stop(); }

void DataPlane::stop() {
  if (stopping_.exchange(true)) return;
  acceptor_.join();
  ::close(listen_fd_);
  absl::MutexLock lock(&conns_mu_);
  for (Conn& c : conns_) ::shutdown(c.fd, SHUT_RDWR);
  for (Conn& c : conns_) {
    c.thread.join();
    ::close(c.fd);
  }
  conns_.clear();
}

std::string DataPlane::address() const {
  const std::string& h = options_.listen.host;
  const bool v6 = h.find(':') != std::string::npos;
  return absl::StrCat(v6 ? "[" : "", h, v6 ? "]" : "", ":", port_);
}

int64_t DataPlane::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void DataPlane::accept_loop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    absl::MutexLock lock(&conns_mu_);
    for (auto it = conns_.begin(); it != conns_.end();) {  // reap the finished
      if (!it->done) {
        ++it;
        continue;
      }
      it->thread.join();
      ::close(it->fd);
      it = conns_.erase(it);
    }
    if (conns_.size() >= options_.max_connections) {
      FrameSocket(fd)
          .send(kDataPlaneReply, status_reply(absl::ResourceExhaustedError(absl::StrCat(
                                     conns_.size(), " data plane connections are open, the most"))))
          .IgnoreError();
      ::close(fd);
      continue;
    }
    Conn& c = conns_.emplace_back();
    c.fd = fd;
    c.thread = std::thread([this, &c] { serve(c); });
  }
}

void DataPlane::serve(Conn& conn) {
  Session(*this, conn.fd).run();
  ::shutdown(conn.fd, SHUT_RDWR);
  conn.done = true;
}

absl::StatusOr<std::string> DataPlane::mint(TokenGrant grant, int64_t ttl_ms, int64_t* life_ms) {
  *life_ms = ttl_ms > 0 ? std::min(ttl_ms, options_.token_ttl_ms) : options_.token_ttl_ms;
  unsigned char secret[16];
  if (RAND_bytes(secret, sizeof secret) != 1) {
    return absl::InternalError("no random bytes for a token");
  }
  absl::MutexLock lock(&mu_);
  const int64_t now = now_ms();
  grant.expires_ms = now + *life_ms;
  return tokens_.mint({reinterpret_cast<const char*>(secret), sizeof secret}, std::move(grant),
                      now);
}

TransferStatsSnapshot DataPlane::stats(const std::string& transfer_id) {
  absl::MutexLock lock(&mu_);
  TransferStatsSnapshot s;
  s.now_ms = now_ms();
  s.transfers = ledger_.list(transfer_id);
  s.totals = ledger_.totals();
  s.active_rate = ledger_.active_rate(s.now_ms);
  return s;
}

}  // namespace cairn::real::reapi
