#include "runtime-real/grpc/data_plane_client.h"

#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "runtime-real/grpc/resource_name.h"
#include "runtime-real/shm/shm_ring.h"

namespace cairn::real::reapi {

namespace v1 = cairn::v1;

namespace {
constexpr int kWaitMs = 50;
}

absl::StatusOr<std::unique_ptr<DataPlaneClient>> DataPlaneClient::connect(
    const std::string& address) {
  auto fd = connect_tcp(address);
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<DataPlaneClient>(new DataPlaneClient(*fd));
}

DataPlaneClient::~DataPlaneClient() { ::close(fd_); }

absl::StatusOr<v1::DataPlaneReply> DataPlaneClient::open(const DataPlaneGrant& grant,
                                                         const cas::Digest& digest,
                                                         v1::Direction direction) {
  v1::DataPlaneOpen o;
  o.set_token(grant.token);
  o.set_client_id(grant.client_id);
  o.mutable_digest()->set_hash(hex_hash(digest));
  o.mutable_digest()->set_size_bytes(static_cast<int64_t>(digest.size_bytes()));
  o.set_direction(direction);
  o.set_shared_memory(grant.shared_memory);
  if (absl::Status s = sock_.send(kDataPlaneOpen, o); !s.ok()) return s;
  auto f = sock_.next();
  if (!f.ok()) return f.status();
  v1::DataPlaneReply r;
  if (f->message.type != kDataPlaneReply || !r.ParseFromString(f->message.header)) {
    return absl::DataLossError("the server's answer is not a DataPlaneReply");
  }
  if (absl::Status s = reply_status(r); !s.ok()) return s;
  if (grant.shared_memory && r.ring().empty()) {
    return absl::DataLossError("the server accepted shared memory but named no ring");
  }
  transfer_id_ = r.transfer_id();
  return r;
}

absl::Status DataPlaneClient::outcome() {
  auto f = sock_.next();
  if (!f.ok()) return f.status();
  v1::DataPlaneReply r;
  if (f->message.type != kDataPlaneReply || !r.ParseFromString(f->message.header)) {
    return absl::DataLossError("expected the server's outcome");
  }
  return reply_status(r);
}

absl::Status DataPlaneClient::upload(const DataPlaneGrant& grant, const cas::Digest& digest,
                                     client::ByteSource& source) {
  if (source.size() != digest.size_bytes()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the source holds ", source.size(), " bytes, the digest says ", digest.size_bytes()));
  }
  auto accepted = open(grant, digest, v1::UPLOAD);
  if (!accepted.ok()) return accepted.status();
  std::unique_ptr<ShmRing> ring;
  if (grant.shared_memory && digest.size_bytes() > 0) {  // an empty blob needs no ring
    auto r = ShmRing::open(accepted->ring());
    if (!r.ok()) return r.status();
    ring = std::move(*r);
    ShmRing::unlink(ring->name());  // no name outlives the pair
  }
  const uint64_t size = digest.size_bytes();
  for (uint64_t at = 0; at < size;) {
    const uint64_t n = std::min<uint64_t>(kDataPlanePieceBytes, size - at);
    auto piece = source.read(at, n);
    if (!piece.ok()) return piece.status();  // the server waits no more: the connection goes
    if (!ring) {
      static const v1::DataPlaneReply kNoHeader;
      if (absl::Status s = sock_.send(kDataPlaneData, kNoHeader, piece->view()); !s.ok()) {
        absl::Status o = outcome();  // the server's reason, when it stopped reading
        return o.ok() ? s : o;
      }
    } else {
      std::string_view bytes = piece->view();
      while (!bytes.empty()) {
        const size_t put = ring->write_some(bytes.data(), bytes.size());
        bytes.remove_prefix(put);
        if (put > 0) continue;
        if (ring->closed() || sock_.readable(0)) return outcome();  // the server gave up
        ring->wait_for_space(kWaitMs, std::min<size_t>(bytes.size(), ring->capacity() / 2));
      }
    }
    at += n;
  }
  return outcome();
}

absl::Status DataPlaneClient::download(const DataPlaneGrant& grant, const cas::Digest& digest,
                                       const std::function<absl::Status(std::string_view)>& sink) {
  auto accepted = open(grant, digest, v1::DOWNLOAD);
  if (!accepted.ok()) return accepted.status();
  cas::Digester check;
  uint64_t got = 0;
  auto take = [&](std::string_view bytes) {
    check.update({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
    got += bytes.size();
    return sink(bytes);
  };
  absl::Status s;
  if (grant.shared_memory && digest.size_bytes() > 0) {
    auto ring = ShmRing::open(accepted->ring());
    if (!ring.ok()) return ring.status();
    ShmRing::unlink((*ring)->name());
    while (got < digest.size_bytes() && s.ok()) {
      std::span<const char> avail = (*ring)->readable();
      if (avail.empty()) {
        if ((*ring)->closed() || sock_.readable(0)) break;  // the server's outcome follows
        (*ring)->wait_for_data(kWaitMs, (*ring)->read_index() + 1);
        continue;
      }
      const size_t n = std::min<uint64_t>(avail.size(), digest.size_bytes() - got);
      s = take({avail.data(), n});
      (*ring)->consume(n);
    }
    (*ring)->close();
    absl::Status o = outcome();
    if (!s.ok()) return s;
    if (!o.ok()) return o;
  } else {
    for (;;) {
      auto f = sock_.next();
      if (!f.ok()) return f.status();
      if (f->message.type == kDataPlaneReply) {
        v1::DataPlaneReply r;
        if (!r.ParseFromString(f->message.header)) return absl::DataLossError("bad reply");
        if (absl::Status o = reply_status(r); !o.ok()) return o;
        break;
      }
      if (f->message.type != kDataPlaneData) return absl::DataLossError("unexpected frame");
      if (got + f->message.payload.size() > digest.size_bytes()) {
        return absl::DataLossError("the server sent more bytes than the digest says");
      }
      if (s.ok()) s = take(f->message.payload.view());
    }
  }
  if (!s.ok()) return s;
  if (got != digest.size_bytes() || check.finish() != digest) {
    return absl::DataLossError(
        absl::StrCat("the bytes received (", got, ") do not match digest ", digest.format()));
  }
  return absl::OkStatus();
}

}  // namespace cairn::real::reapi
