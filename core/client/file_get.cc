// FileClient::get: the manifest, then the chunks holding the range, in order, through the
// chunk cache.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/client/file_client.h"
#include "core/storage/chunk_wire.h"

namespace cairn::client {

struct FileClient::GetOp {
  struct Piece {
    storage::ChunkLayout layout;
    uint64_t offset = 0;  // within the chunk
    uint64_t length = 0;
  };
  Sink sink;
  ProgressFn progress;
  GetDone done;
  Time started;
  meta::wire::Manifest manifest;
  std::vector<Piece> pieces;
  size_t next = 0;                    // the next piece to ask for
  size_t delivered = 0;               // pieces handed to the sink
  std::map<size_t, Payload> arrived;  // read, waiting for their turn
  size_t in_flight = 0;
  uint64_t total = 0, done_bytes = 0;
  bool failed = false;
};

void FileClient::get(std::string path, uint64_t version, uint64_t offset, uint64_t length,
                     Sink sink, ProgressFn progress, GetDone done) {
  auto op = std::make_shared<GetOp>();
  op->sink = std::move(sink);
  op->progress = std::move(progress);
  op->done = std::move(done);
  op->started = rt_.now();
  meta::wire::NsQuery q;
  q.mutable_get_file()->set_path(std::move(path));
  q.mutable_get_file()->set_version(version);
  ns_.query(std::move(q), [this, op, offset, length, alive = std::weak_ptr<bool>(alive_)](auto r) {
    if (alive.expired()) return;
    if (!r.ok()) return fail(op, r.status());
    op->manifest = std::move(*r->mutable_manifest());
    const uint64_t size = op->manifest.size_bytes();
    if (offset > size) {
      return fail(op, absl::OutOfRangeError(
                          absl::StrCat("offset ", offset, " is past the end (", size, " bytes)")));
    }
    const uint64_t end = offset + std::min(length, size - offset);
    op->total = end - offset;
    if (op->manifest.chunks().empty() && !op->manifest.inline_data().empty()) {
      return serve_inline(op, offset, end);
    }
    uint64_t at = 0;  // the file offset of the chunk
    for (const storage::wire::Layout& l : op->manifest.chunks()) {
      auto layout = storage::from_wire(l);
      if (!layout.ok()) return fail(op, layout.status());
      const uint64_t n = layout->chunk.size_bytes();
      const uint64_t lo = std::max(at, offset), hi = std::min(at + n, end);
      if (lo < hi) op->pieces.push_back({std::move(*layout), lo - at, hi - lo});
      at += n;
    }
    if (at != size) {
      return fail(op, absl::DataLossError(absl::StrCat("the manifest's chunks hold ", at,
                                                       " bytes, its size says ", size)));
    }
    read_more(op);
  });
}

void FileClient::serve_inline(std::shared_ptr<GetOp> op, uint64_t offset, uint64_t end) {
  const std::string& bytes = op->manifest.inline_data();
  if (bytes.size() != op->manifest.size_bytes()) {
    return fail(op,
                absl::DataLossError(absl::StrCat("the manifest's inline bytes are ", bytes.size(),
                                                 ", its size says ", op->manifest.size_bytes())));
  }
  if (end > offset) {
    if (absl::Status st = op->sink(Payload(bytes.substr(offset, end - offset))); !st.ok()) {
      return fail(op, st);
    }
  }
  op->done_bytes = op->total;
  read_more(op);  // no pieces: reports and finishes
}

void FileClient::read_more(std::shared_ptr<GetOp> op) {
  if (op->failed) return;
  if (op->delivered == op->pieces.size()) {
    report(op->progress, op->started, op->done_bytes, op->total);
    GetDone done = std::move(op->done);
    return done(std::move(op->manifest));
  }
  while (op->next < op->pieces.size() && op->in_flight < options_.window) {
    const size_t i = op->next++;
    const GetOp::Piece& p = op->pieces[i];
    ++op->in_flight;
    if (std::optional<Payload> whole = cached(p.layout.chunk)) {
      Payload part = Payload::alias(std::make_shared<Payload>(*whole),
                                    whole->view().substr(p.offset, p.length));
      rt_.after(Duration(0), [this, op, i, part, alive = std::weak_ptr<bool>(alive_)] {
        if (!alive.expired()) piece_read(op, i, part);
      });
      continue;
    }
    chunks_.read(p.layout, p.offset, p.length,
                 [this, op, i, alive = std::weak_ptr<bool>(alive_)](auto bytes) {
                   if (!alive.expired()) piece_read(op, i, std::move(bytes));
                 });
  }
}

void FileClient::piece_read(std::shared_ptr<GetOp> op, size_t index,
                            absl::StatusOr<Payload> bytes) {
  --op->in_flight;
  if (op->failed) return;
  const GetOp::Piece& p = op->pieces[index];
  if (!bytes.ok()) {
    return fail(op, absl::Status(bytes.status().code(),
                                 absl::StrCat("reading chunk ", p.layout.chunk.format(), ": ",
                                              bytes.status().message())));
  }
  if (bytes->size() != p.length) {
    return fail(op, absl::DataLossError(absl::StrCat("chunk ", p.layout.chunk.format(), " gave ",
                                                     bytes->size(), " bytes for ", p.length)));
  }
  if (p.offset == 0 && p.length == p.layout.chunk.size_bytes()) remember(p.layout.chunk, *bytes);
  op->arrived.emplace(index, std::move(*bytes));
  while (!op->arrived.empty() && op->arrived.begin()->first == op->delivered) {
    Payload piece = std::move(op->arrived.begin()->second);
    op->arrived.erase(op->arrived.begin());
    if (absl::Status st = op->sink(piece); !st.ok()) return fail(op, st);
    ++op->delivered;
    op->done_bytes += piece.size();
    report(op->progress, op->started, op->done_bytes, op->total);
  }
  read_more(op);
}

void FileClient::fail(std::shared_ptr<GetOp> op, absl::Status status) {
  if (op->failed) return;
  op->failed = true;
  op->arrived.clear();
  GetDone done = std::move(op->done);
  done(std::move(status));
}

std::optional<Payload> FileClient::cached(const cas::Digest& chunk) {
  auto it = cache_.find(chunk);
  if (it == cache_.end()) return std::nullopt;
  lru_.splice(lru_.end(), lru_, it->second);  // now the most recently used
  return it->second->second;
}

void FileClient::remember(const cas::Digest& chunk, const Payload& bytes) {
  if (bytes.size() > options_.cache_bytes || bytes.virtual_bytes > 0 || cache_.contains(chunk)) {
    return;
  }
  while (cache_bytes_ + bytes.size() > options_.cache_bytes) {
    cache_bytes_ -= lru_.front().second.size();
    cache_.erase(lru_.front().first);
    lru_.pop_front();
  }
  lru_.emplace_back(chunk, bytes);
  cache_[chunk] = std::prev(lru_.end());
  cache_bytes_ += bytes.size();
}

}  // namespace cairn::client
