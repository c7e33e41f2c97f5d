#include "runtime-real/tools/client_host.h"

#include <random>

#include "core/base/assert.h"
#include "runtime-real/host/asio_runtime.h"
#include "runtime-real/host/spd_log.h"
#include "runtime-real/transport/client_links.h"

namespace cairn::real {

uint64_t draw_client_id() {
  std::random_device rd;
  return ((uint64_t{rd()} << 32) ^ rd()) | 1;
}

ClientHost::ClientHost(std::vector<HostPort> nodes, uint64_t seed, uint64_t max_payload_bytes)
    : nodes_(nodes.size()) {
  CAIRN_ASSERT(!nodes.empty());
  workers_ = std::make_unique<asio::thread_pool>(1);
  // The runtime's own id only names it in logs: one past the last endpoint. It never
  // touches its disk (no data directory).
  const NodeId self = ClientLinks::endpoint_of(nodes_);
  rt_ = std::make_unique<AsioRuntime>(self, std::string(), *workers_,
                                      make_process_logger(LogLevel::kWarn), seed);
  links_ = std::make_unique<ClientLinks>(*rt_, std::move(nodes), max_payload_bytes);
}

ClientHost::~ClientHost() {
  stop([] {});
}

std::vector<NodeId> ClientHost::endpoints() const {
  std::vector<NodeId> out;
  for (size_t i = 0; i < nodes_; ++i) out.push_back(ClientLinks::endpoint_of(i));
  return out;
}

void ClientHost::start(std::function<void(NodeId, const Message&)> receive,
                       std::function<void(NodeId)> down) {
  rt_->set_sender([this](NodeId to, Message m) { links_->send(to, std::move(m)); });
  rt_->set_receiver(std::move(receive));
  links_->set_on_down(std::move(down));
  rt_->start();
  started_ = true;
  rt_->post([this] { links_->connect_all(); });
}

void ClientHost::stop(std::function<void()> drop) {
  if (stopped_) return;
  stopped_ = true;
  // Close and drop the core on the loop; then stop the loop while the sockets still exist.
  if (started_) {
    rt_->run_sync([this, &drop] {
      links_->close();
      drop();
    });
    rt_->stop();
  }
  links_.reset();
  rt_.reset();
  workers_->join();
}

}  // namespace cairn::real
