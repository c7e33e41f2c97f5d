#include "runtime-real/shm/shm_transport.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <bit>

#include "runtime-real/host/asio_runtime.h"
#include "runtime-real/host/node_host.h"
#include "runtime-real/shm/shm_channel.h"
#include "runtime-real/transport/tcp_transport.h"
#include "runtime-real/transport/transport.pb.h"
#include "runtime-real/transport/transport_types.h"

namespace cairn::real {
namespace {
constexpr Duration kOfferTimeout = std::chrono::seconds(2);
}

ShmTransport::ShmTransport(AsioRuntime& rt, TcpTransport& tcp, ShmOptions options)
    : rt_(rt),
      tcp_(tcp),
      options_(options),
      host_id_(this_host_id()),
      frames_sent_(&rt.metrics().counter("transport_shm_frames_sent")),
      bytes_sent_(&rt.metrics().counter("transport_shm_bytes_sent")) {
  options_.ring_bytes = std::bit_ceil(std::max<uint64_t>(options_.ring_bytes, 4096));
  tcp_.set_hello_handler(
      [this](NodeId from, const std::string& host, uint64_t pid) { on_hello(from, host, pid); });
  tcp_.set_control_handler([this](NodeId from, const Message& m) { on_control(from, m); });
  if (const int n = ShmRing::sweep_dead_segments(); n > 0) {
    rt_.logger().info("n{} removed {} shared-memory segments left by dead processes", rt_.self(),
                      n);
  }
}

ShmTransport::~ShmTransport() {
  close();
  join();
}

void ShmTransport::on_hello(NodeId from, const std::string& host_id, uint64_t pid) {
  Peer& p = peers_[from];
  if (p.pid != 0 && p.pid != pid) reset_writer(p);  // it restarted: our ring died with it
  p.host_id = host_id;
  p.pid = pid;
}

void ShmTransport::reset_writer(Peer& peer) {
  if (peer.writer) peer.writer->stop();
  peer.writer.reset();
  if (!peer.offered_name.empty()) ShmRing::unlink(peer.offered_name);
  peer.offered_name.clear();
  peer.ring = Peer::Ring::kNone;
}

bool ShmTransport::wants(NodeId to, const Message& message) {
  if (closed_ || message.payload.size() < options_.threshold) return false;
  auto it = peers_.find(to);
  if (it == peers_.end() || it->second.host_id != host_id_) return false;
  Peer& p = it->second;
  if (p.ring == Peer::Ring::kActive && p.writer->broken()) reset_writer(p);
  if (p.ring == Peer::Ring::kNone) offer(to, p);
  return p.ring == Peer::Ring::kActive;
}

absl::Status ShmTransport::send(NodeId to, const Message& message) {
  if (closed_) return absl::UnavailableError("shm transport closed");
  auto it = peers_.find(to);
  if (it == peers_.end() || !it->second.writer) return absl::UnavailableError("no shm ring");
  absl::Status s = it->second.writer->push(message);
  if (s.ok()) {
    frames_sent_->add();
    bytes_sent_->add(static_cast<int64_t>(message.wire_size()));
  }
  return s;
}

ShmTransport::Reservation::Reservation(std::shared_ptr<Writer> writer, std::span<char> payload,
                                       uint64_t wire_bytes)
    : writer_(std::move(writer)), payload_(payload), wire_bytes_(wire_bytes) {}

ShmTransport::Reservation::Reservation(Reservation&& other) noexcept
    : writer_(std::move(other.writer_)), payload_(other.payload_), wire_bytes_(other.wire_bytes_) {}

ShmTransport::Reservation::~Reservation() {
  if (writer_) writer_->abandon_reserved();
}

absl::StatusOr<ShmTransport::Reservation> ShmTransport::reserve(NodeId to, MessageType type,
                                                                std::string_view header,
                                                                size_t payload_bytes) {
  if (closed_) return absl::UnavailableError("shm transport closed");
  auto it = peers_.find(to);
  if (it == peers_.end() || !it->second.writer) return absl::UnavailableError("no shm ring");
  absl::StatusOr<std::span<char>> payload = it->second.writer->reserve(type, header, payload_bytes);
  if (!payload.ok()) return payload.status();
  return Reservation(it->second.writer, *payload,
                     wire::kFrameHeaderSize + header.size() + payload_bytes);
}

absl::Status ShmTransport::commit(Reservation reservation) {
  CAIRN_ASSERT(reservation.writer_ != nullptr);
  const std::shared_ptr<Writer> writer = std::move(reservation.writer_);
  absl::Status s = writer->publish_reserved();
  if (s.ok()) {
    frames_sent_->add();
    bytes_sent_->add(static_cast<int64_t>(reservation.wire_bytes_));
  }
  return s;
}

void ShmTransport::offer(NodeId to, Peer& peer) {
  const std::string name = ShmRing::make_name(rt_.self(), to);
  auto ring = ShmRing::create(name, options_.ring_bytes);
  if (!ring.ok()) {
    rt_.logger().warn("n{} no shared memory to n{} ({}): using TCP", rt_.self(), to,
                      ring.status().ToString());
    peer.ring = Peer::Ring::kRefused;
    return;
  }
  ShmOffer offer;
  offer.set_name(name);
  offer.set_capacity(options_.ring_bytes);
  Message m;
  m.type = kShmOffer;
  m.header = offer.SerializeAsString();
  if (!tcp_.send(to, std::move(m)).ok()) {
    ShmRing::unlink(name);
    return;  // try again with a later message
  }
  peer.ring = Peer::Ring::kOffered;
  peer.offered_name = name;
  peer.writer = std::make_shared<Writer>(
      rt_, std::move(*ring), peer.pid, options_.queue_max,
      [this, to] {
        if (!closed_ && drain_) drain_(to);
      },
      [this, to](std::vector<Message> unsent) {  // the reader retired the ring
        for (Message& u : unsent) (void)tcp_.send(to, std::move(u));
      });
  peer.writer->start();
  rt_.after(kOfferTimeout, [this, to, name] {
    auto it = peers_.find(to);
    if (it != peers_.end() && it->second.ring == Peer::Ring::kOffered &&
        it->second.offered_name == name) {
      reset_writer(it->second);
    }
  });
}

void ShmTransport::on_control(NodeId from, const Message& m) {
  if (closed_) return;
  if (m.type == kShmOffer) on_offer(from, m);
  if (m.type == kShmAnswer) on_answer(from, m);
}

void ShmTransport::on_offer(NodeId from, const Message& m) {
  ShmOffer offer;
  if (!offer.ParseFromString(m.header)) return;
  Peer& p = peers_[from];
  if (p.host_id != host_id_) return answer(from, offer.name(), false, "not on this host");
  auto ring = ShmRing::open(offer.name());
  ShmRing::unlink(offer.name());  // both ends have it mapped: the name is no longer needed
  if (!ring.ok()) return answer(from, offer.name(), false, ring.status().ToString());
  if (p.reader) {
    p.reader->stop();  // a new ring from a peer replaces its old one
    // Our receivers kept payloads long enough to stall that ring: copy from now on.
    if (p.reader->retired()) p.in_place = false;
  }
  p.reader = std::make_shared<Reader>(rt_, from, std::move(*ring), p.pid, options_.limits,
                                      options_.receive_in_place && p.in_place);
  p.reader->start();
  answer(from, offer.name(), true, "");
}

void ShmTransport::answer(NodeId to, const std::string& name, bool accepted,
                          const std::string& reason) {
  ShmAnswer a;
  a.set_name(name);
  a.set_accepted(accepted);
  a.set_reason(reason);
  Message m;
  m.type = kShmAnswer;
  m.header = a.SerializeAsString();
  (void)tcp_.send(to, std::move(m));  // lost: the offer times out and the peer uses TCP
}

void ShmTransport::on_answer(NodeId from, const Message& m) {
  ShmAnswer a;
  auto it = peers_.find(from);
  if (!a.ParseFromString(m.header) || it == peers_.end()) return;
  Peer& p = it->second;
  if (p.ring != Peer::Ring::kOffered || p.offered_name != a.name()) return;
  ShmRing::unlink(a.name());
  p.offered_name.clear();
  if (a.accepted()) {
    p.ring = Peer::Ring::kActive;
    rt_.logger().info("n{} shared memory to n{} is up", rt_.self(), from);
  } else {
    rt_.logger().info("n{} n{} refused shared memory ({}): using TCP", rt_.self(), from,
                      a.reason());
    p.writer.reset();
    p.ring = Peer::Ring::kRefused;
  }
}

void ShmTransport::close() {
  if (closed_) return;
  closed_ = true;
  for (auto& [node, p] : peers_) {
    if (p.writer) p.writer->stop();
    if (p.reader) p.reader->stop();
    if (!p.offered_name.empty()) ShmRing::unlink(p.offered_name);
  }
}

void ShmTransport::join() {
  for (auto& [node, p] : peers_) {
    p.writer.reset();
    p.reader.reset();
  }
}

}  // namespace cairn::real
