#include "runtime-real/tools/chunk_blocking_client.h"

#include <future>
#include <random>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/storage/chunk_session.h"
#include "core/wire/message_types.h"
#include "runtime-real/host/asio_runtime.h"
#include "runtime-real/host/spd_log.h"
#include "runtime-real/transport/client_links.h"

namespace cairn::real {

using storage::ChunkLayout;

ChunkBlockingClient::ChunkBlockingClient(ChunkBlockingClientOptions options)
    : options_(std::move(options)) {
  CAIRN_ASSERT(!options_.nodes.empty());
  CAIRN_ASSERT(options_.max_attempts >= 1);
  workers_ = std::make_unique<asio::thread_pool>(1);
  // The runtime's own id only names it in logs: one past the last endpoint. It never
  // touches its disk (no data directory).
  const NodeId self = ClientLinks::endpoint_of(options_.nodes.size());
  rt_ = std::make_unique<AsioRuntime>(self, std::string(), *workers_,
                                      make_process_logger(LogLevel::kWarn), std::random_device{}());
  links_ = std::make_unique<ClientLinks>(*rt_, options_.nodes,
                                         storage::CoordinatorOptions{}.max_chunk_bytes);
  std::vector<NodeId> endpoints;
  for (size_t i = 0; i < options_.nodes.size(); ++i) {
    endpoints.push_back(ClientLinks::endpoint_of(i));
  }
  storage::ChunkSessionOptions so;
  so.attempt_timeout = options_.attempt_timeout;
  so.max_attempts = options_.max_attempts;
  so.avoid_for = options_.avoid_for;
  session_ = std::make_unique<storage::ChunkSession>(*rt_, std::move(endpoints), so);
  rt_->set_sender([this](NodeId to, Message m) { links_->send(to, std::move(m)); });
  rt_->set_receiver([this](NodeId from, const Message& m) {
    if (m.type == cairn::wire::kChunkResponse) session_->on_response(from, m);
  });
  links_->set_on_down([this](NodeId endpoint) { session_->on_unreachable(endpoint); });
  rt_->start();
  rt_->post([this] { links_->connect_all(); });
}

ChunkBlockingClient::~ChunkBlockingClient() {
  // Close and drop the core on the loop; then stop the loop while the sockets still exist.
  rt_->run_sync([this] {
    links_->close();
    session_.reset();
  });
  rt_->stop();
  links_.reset();
  rt_.reset();
  workers_->join();
}

absl::StatusOr<ChunkLayout> ChunkBlockingClient::put(std::string bytes,
                                                     const storage::WriteOptions& options) {
  const cas::Digest digest = cas::Digest::of(
      absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  std::promise<absl::StatusOr<ChunkLayout>> answer;
  std::future<absl::StatusOr<ChunkLayout>> future = answer.get_future();
  // The session's attempt timers guarantee that `done` runs, so the wait is bounded.
  rt_->post([this, &answer, &options, digest, p = Payload(std::move(bytes))]() mutable {
    session_->put(digest, std::move(p), options,
                  [&answer](absl::StatusOr<ChunkLayout> r) { answer.set_value(std::move(r)); });
  });
  return future.get();
}

absl::StatusOr<std::string> ChunkBlockingClient::read(const ChunkLayout& layout, uint64_t offset,
                                                      uint64_t length) {
  std::promise<absl::StatusOr<Payload>> answer;
  std::future<absl::StatusOr<Payload>> future = answer.get_future();
  rt_->post([this, &answer, &layout, offset, length] {
    session_->read(layout, offset, length,
                   [&answer](absl::StatusOr<Payload> r) { answer.set_value(std::move(r)); });
  });
  absl::StatusOr<Payload> got = future.get();
  if (!got.ok()) return got.status();
  if (got->view().size() != length || got->virtual_bytes != 0) {
    return absl::DataLossError(
        absl::StrCat("asked for ", length, " bytes, got ", got->view().size()));
  }
  return std::string(got->view());
}

}  // namespace cairn::real
