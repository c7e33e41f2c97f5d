#include "runtime-real/tools/chunk_blocking_client.h"

#include <cstring>
#include <future>
#include <random>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/storage/chunk_session.h"
#include "core/wire/message_types.h"
#include "runtime-real/host/asio_runtime.h"

namespace cairn::real {

using storage::ChunkLayout;

ChunkBlockingClient::ChunkBlockingClient(ChunkBlockingClientOptions options)
    : options_(std::move(options)) {
  CAIRN_ASSERT(!options_.nodes.empty());
  CAIRN_ASSERT(options_.max_attempts >= 1);
  host_ = std::make_unique<ClientHost>(options_.nodes, std::random_device{}(),
                                       storage::CoordinatorOptions{}.max_chunk_bytes);
  storage::ChunkSessionOptions so;
  so.attempt_timeout = options_.attempt_timeout;
  so.max_attempts = options_.max_attempts;
  so.avoid_for = options_.avoid_for;
  session_ = std::make_unique<storage::ChunkSession>(host_->runtime(), host_->endpoints(), so);
  host_->start(
      [this](NodeId from, const Message& m) {
        if (m.type == cairn::wire::kChunkResponse) session_->on_response(from, m);
      },
      [this](NodeId endpoint) { session_->on_unreachable(endpoint); });
}

ChunkBlockingClient::~ChunkBlockingClient() {
  host_->stop([this] { session_.reset(); });
}

absl::StatusOr<ChunkLayout> ChunkBlockingClient::put(std::string bytes,
                                                     const storage::WriteOptions& options) {
  const cas::Digest digest = cas::Digest::of(std::string_view(bytes));
  std::promise<absl::StatusOr<ChunkLayout>> answer;
  std::future<absl::StatusOr<ChunkLayout>> future = answer.get_future();
  // The session's attempt timers guarantee that `done` runs, so the wait is bounded.
  host_->runtime().post([this, &answer, &options, digest, p = Payload(std::move(bytes))]() mutable {
    session_->put(digest, std::move(p), options,
                  [&answer](absl::StatusOr<ChunkLayout> r) { answer.set_value(std::move(r)); });
  });
  return future.get();
}

absl::StatusOr<Payload> ChunkBlockingClient::read_payload(const ChunkLayout& layout,
                                                          uint64_t offset, uint64_t length) {
  std::promise<absl::StatusOr<Payload>> answer;
  std::future<absl::StatusOr<Payload>> future = answer.get_future();
  host_->runtime().post([this, &answer, &layout, offset, length] {
    session_->read(layout, offset, length,
                   [&answer](absl::StatusOr<Payload> r) { answer.set_value(std::move(r)); });
  });
  absl::StatusOr<Payload> got = future.get();
  if (!got.ok()) return got.status();
  if (got->view().size() != length || got->virtual_bytes != 0) {
    return absl::DataLossError(
        absl::StrCat("asked for ", length, " bytes, got ", got->view().size()));
  }
  return got;
}

absl::StatusOr<std::string> ChunkBlockingClient::read(const ChunkLayout& layout, uint64_t offset,
                                                      uint64_t length) {
  absl::StatusOr<Payload> got = read_payload(layout, offset, length);
  if (!got.ok()) return got.status();
  return std::string(got->view());
}

absl::Status ChunkBlockingClient::read_into(const ChunkLayout& layout, uint64_t offset,
                                            std::span<char> out) {
  absl::StatusOr<Payload> got = read_payload(layout, offset, out.size());
  if (!got.ok()) return got.status();
  if (!out.empty()) std::memcpy(out.data(), got->view().data(), out.size());
  return absl::OkStatus();
}

}  // namespace cairn::real
