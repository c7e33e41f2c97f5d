#include "core/raft/snapshot_pieces.h"

#include <algorithm>

namespace cairn::raft {

std::vector<Message> snapshot_pieces(const wire::Message& m, MessageType type,
                                     uint64_t piece_bytes) {
  const std::string& data = m.snapshot().data();
  if (m.type() != wire::MSG_SNAPSHOT || data.size() <= piece_bytes) {
    return {Message{.type = type, .header = m.SerializeAsString()}};
  }
  wire::Message header = m;
  header.mutable_snapshot()->clear_data();
  header.set_snapshot_size(data.size());
  auto whole = std::make_shared<const std::string>(data);
  std::vector<Message> out;
  for (uint64_t at = 0; at < data.size(); at += piece_bytes) {
    header.set_snapshot_offset(at);
    const uint64_t n = std::min<uint64_t>(piece_bytes, data.size() - at);
    out.push_back(
        Message{.type = type,
                .header = header.SerializeAsString(),
                .payload = Payload::alias(whole, std::string_view(*whole).substr(at, n))});
  }
  return out;
}

std::optional<wire::Message> SnapshotAssembler::add(NodeId from, wire::Message header,
                                                    const Payload& payload) {
  if (header.snapshot_size() == 0) return header;
  const uint64_t size = header.snapshot_size(), offset = header.snapshot_offset();
  const std::string_view piece = payload.view();
  const uint64_t term = header.term(), index = header.snapshot().metadata().index();
  if (header.type() != wire::MSG_SNAPSHOT || size > kMaxSnapshotBytes || offset >= size ||
      piece.empty() || payload.virtual_bytes > 0 || piece.size() > size - offset ||
      !header.snapshot().data().empty()) {
    ++rejected_;
    return std::nullopt;
  }
  Partial& p = partial_[from];
  if (p.term != term || p.index != index || p.size != size) {
    p = Partial{.term = term, .index = index, .size = size};
    p.data.assign(size, '\0');
  }
  if (!p.pieces.emplace(offset, piece.size()).second) return std::nullopt;  // a duplicate
  std::copy(piece.begin(), piece.end(), p.data.begin() + static_cast<std::ptrdiff_t>(offset));
  p.received += piece.size();
  if (p.received < p.size) return std::nullopt;
  uint64_t next = 0;  // the pieces must tile the data: no gap, no overlap
  for (const auto& [at, n] : p.pieces) {
    if (at != next) break;
    next += n;
  }
  if (next != p.size) {  // overlapping pieces: not what a sender makes
    ++rejected_;
    partial_.erase(from);
    return std::nullopt;
  }
  header.mutable_snapshot()->set_data(std::move(p.data));
  header.clear_snapshot_offset();
  header.clear_snapshot_size();
  partial_.erase(from);
  return header;
}

}  // namespace cairn::raft
