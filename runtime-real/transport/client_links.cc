#include "runtime-real/transport/client_links.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/kv/kv_client.pb.h"
#include "core/wire/message_types.h"
#include "runtime-real/host/asio_runtime.h"
#include "runtime-real/transport/frame_queue.h"
#include "runtime-real/transport/transport.pb.h"
#include "runtime-real/transport/transport_types.h"

namespace cairn::real {
namespace {

// Slots of the shared payload pool: small answers come and go between the large ones.
constexpr size_t kPayloadBuffersMax = 16;

}  // namespace

struct ClientLinks::Link {
  enum class State { kIdle, kConnecting, kUp };

  Link(asio::io_context& io, NodeId id, HostPort address)
      : endpoint(id), at(std::move(address)), socket(io), resolver(io) {}

  const NodeId endpoint;
  const HostPort at;
  tcp::socket socket;
  tcp::resolver resolver;
  State state = State::kIdle;
  uint64_t generation = 0;  // completions of an older connection are ignored
  std::deque<Message> queued;
  FrameQueue out;  // frames of the connection, written from where their payloads lie
  uint32_t frame_sequence = 0;
  std::unique_ptr<wire::FrameReader> reader;  // a fresh one per connection
};

ClientLinks::ClientLinks(AsioRuntime& rt, std::vector<HostPort> peers, uint64_t max_payload_bytes)
    : rt_(rt),
      limits_{
          wire::FrameLimits{}.max_header_bytes,
          static_cast<uint32_t>(std::min<uint64_t>(std::max<uint64_t>(max_payload_bytes, 1u << 20),
                                                   wire::FrameLimits{}.max_payload_bytes))},
      payload_buffers_(std::make_shared<BufferPool>(
          kKeptPayloads *
              (uint64_t{limits_.max_payload_bytes} + wire::FrameDecoder::kZeroTailBytes),
          kPayloadBuffersMax)) {
  CAIRN_ASSERT(!peers.empty());
  for (size_t i = 0; i < peers.size(); ++i) {
    links_.push_back(std::make_unique<Link>(rt_.io(), endpoint_of(i), std::move(peers[i])));
  }
  CAIRN_ASSERT(links_.size() == peers.size());
}

ClientLinks::~ClientLinks() { close(); }

void ClientLinks::close() {
  closed_ = true;
  for (auto& link : links_) {
    boost::system::error_code ignored;
    link->socket.close(ignored);
    link->resolver.cancel();
  }
}

void ClientLinks::connect_all() {
  for (auto& link : links_) {
    if (link->state == Link::State::kIdle) connect(*link);
  }
}

void ClientLinks::send(NodeId endpoint, Message message) {
  if (closed_ || endpoint < 1 || endpoint > links_.size()) return;  // nobody there: dropped
  Link& link = *links_[endpoint - 1];
  CAIRN_ASSERT(link.endpoint == endpoint);
  if (link.queued.size() < kMaxQueued) link.queued.push_back(std::move(message));
  if (link.state == Link::State::kIdle) return connect(link);
  if (link.state == Link::State::kUp) flush(link);
}

void ClientLinks::connect(Link& link) {
  CAIRN_ASSERT(link.state == Link::State::kIdle);
  link.state = Link::State::kConnecting;
  link.reader = std::make_unique<wire::FrameReader>(limits_, payload_buffers_);
  const uint64_t gen = ++link.generation;
  link.resolver.async_resolve(
      link.at.host, std::to_string(link.at.port),
      [this, &link, gen](const boost::system::error_code& ec, tcp::resolver::results_type found) {
        if (closed_ || gen != link.generation) return;
        if (ec) return fail(link, "cannot resolve the host");
        asio::async_connect(
            link.socket, found,
            [this, &link, gen](const boost::system::error_code& error, const tcp::endpoint&) {
              if (closed_ || gen != link.generation) return;
              if (error) return fail(link, error.message());
              boost::system::error_code ignored;
              link.socket.set_option(tcp::no_delay(true), ignored);
              link.state = Link::State::kUp;
              start_read(link);
              flush(link);
            });
      });
}

void ClientLinks::flush(Link& link) {
  CAIRN_ASSERT(link.state == Link::State::kUp);
  for (const Message& m : link.queued) link.out.push(m, wire::FrameMeta{link.frame_sequence++});
  link.queued.clear();
  if (link.out.writing() || link.out.empty()) return;
  const uint64_t gen = link.generation;
  asio::async_write(link.socket, link.out.start_write(), TransferAllUncapped{},
                    [this, &link, gen](const boost::system::error_code& ec, size_t) {
                      if (closed_ || gen != link.generation) return;
                      link.out.written();
                      if (ec) return fail(link, ec.message());
                      flush(link);
                    });
}

void ClientLinks::start_read(Link& link) {
  const uint64_t gen = link.generation;
  const std::span<char> into = link.reader->next();
  link.socket.async_read_some(asio::buffer(into.data(), into.size()),
                              [this, &link, gen](const boost::system::error_code& ec, size_t n) {
                                if (closed_ || gen != link.generation) return;
                                if (ec == asio::error::eof) return fail(link, "the node closed");
                                if (ec) return fail(link, ec.message());
                                std::vector<wire::Frame> frames;
                                const absl::Status s = link.reader->landed(n, &frames);
                                on_frames(link, frames);
                                if (closed_ || gen != link.generation) return;
                                if (!s.ok())
                                  return fail(link, absl::StrCat("bad frame: ", s.message()));
                                start_read(link);
                              });
}

void ClientLinks::on_frames(Link& link, std::vector<wire::Frame>& frames) {
  for (wire::Frame& f : frames) {
    Message& m = f.message;
    if (m.type == kTransportHello) {
      Hello hello;
      if (hello.ParseFromString(m.header) && hello.node() != kNoNode) {
        endpoint_of_node_[hello.node()] = link.endpoint;
      }
      continue;
    }
    if (m.type == cairn::wire::kKvResponse) {
      // The core knows endpoints, not node ids: translate the hint.
      kv::wire::KvResponse r;
      if (!r.ParseFromString(m.header)) continue;
      if (r.leader_hint() != kNoNode) {
        auto it = endpoint_of_node_.find(static_cast<NodeId>(r.leader_hint()));
        r.set_leader_hint(it == endpoint_of_node_.end() ? kNoNode : it->second);
        m.header = r.SerializeAsString();
      }
    }
    rt_.deliver(link.endpoint, m);
  }
}

void ClientLinks::fail(Link& link, const std::string& why) {
  rt_.log().write(LogLevel::kDebug, absl::StrCat(link.at.host, ":", link.at.port, ": ", why));
  ++link.generation;
  boost::system::error_code ignored;
  link.socket.close(ignored);
  link.resolver.cancel();
  link.state = Link::State::kIdle;
  link.queued.clear();
  link.out.clear();
  if (on_down_) on_down_(link.endpoint);
}

}  // namespace cairn::real
