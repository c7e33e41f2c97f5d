// FileClient::put: chunk, hash, negotiate, upload what is missing, commit the manifest.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/cas/shard_store.h"
#include "core/client/file_client.h"
#include "core/meta/chunk_table.h"
#include "core/storage/chunk_wire.h"
#include "core/storage/storage_codec.h"

namespace cairn::client {

struct FileClient::PutOp {
  std::string path;
  std::shared_ptr<ByteSource> source;
  PutOptions options;
  ProgressFn progress;
  PutDone done;
  Time started;
  std::vector<ChunkSpan> spans;
  std::vector<cas::Digest> digests;                    // by chunk index, as hashed
  std::map<cas::Digest, storage::ChunkLayout> stored;  // known or sent, by chunk digest
  std::set<cas::Digest> known;                         // named by the namespace, not sent
  Payload whole;  // content-defined or inline: the file's bytes
  bool inline_file = false;
  size_t batch_begin = 0, batch_end = 0;
  std::vector<Payload> bytes;  // the batch's, by index - batch_begin
  size_t pending = 0;          // chunk puts of the batch under way
  uint64_t done_bytes = 0;
  PutResult result;
  bool failed = false;
};

namespace {

// `length` real bytes of `source` from `offset`, or an error: a source that gives fewer,
// more or virtual bytes is DataLoss (the file changed under us, or is not readable).
absl::StatusOr<Payload> read_exactly(ByteSource& source, uint64_t offset, uint64_t length) {
  absl::StatusOr<Payload> b = source.read(offset, length);
  if (b.ok() && (b->size() != length || b->virtual_bytes > 0)) {
    return absl::DataLossError(
        absl::StrCat("reading ", length, " bytes at ", offset, " gave ", b->size()));
  }
  return b;
}

}  // namespace

absl::StatusOr<Payload> MemorySource::read(uint64_t offset, uint64_t length) {
  if (offset > bytes_.size() || length > bytes_.size() - offset) {
    return absl::OutOfRangeError(absl::StrCat("read of ", length, " bytes at ", offset,
                                              " past the end (", bytes_.size(), " bytes)"));
  }
  if (bytes_.virtual_bytes > 0) return absl::InvalidArgumentError("a virtual source");
  return Payload::alias(std::make_shared<Payload>(bytes_), bytes_.view().substr(offset, length));
}

FileClient::FileClient(Runtime& rt, meta::NamespaceSession& ns, storage::ChunkSession& chunks,
                       FileClientOptions options)
    : rt_(rt), ns_(ns), chunks_(chunks), options_(options) {
  CAIRN_ASSERT(options_.window >= 1);
  CAIRN_ASSERT(options_.chunk_bytes >= 1);
  CAIRN_ASSERT(options_.inline_bytes <= meta::kMaxInlineBytes);
  if (options_.cdc) {
    auto c = CdcChunker::create(*options_.cdc);
    CAIRN_ASSERT(c.ok());
    cdc_ = std::move(*c);
  }
}

FileClient::~FileClient() = default;

void FileClient::put(std::string path, std::shared_ptr<ByteSource> source, PutOptions options,
                     ProgressFn progress, PutDone done) {
  CAIRN_ASSERT(source != nullptr && done != nullptr);
  auto op = std::make_shared<PutOp>();
  op->path = std::move(path);
  op->source = std::move(source);
  op->options = options;
  op->progress = std::move(progress);
  op->done = std::move(done);
  op->started = rt_.now();
  const absl::Status planned = plan(*op);
  op->result.chunks = op->spans.size();
  rt_.after(Duration(0), [this, op, planned, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired()) return;
    if (!planned.ok()) return fail(op, planned);
    if (op->inline_file) return commit_inline(op);
    next_batch(op);
  });
}

absl::Status FileClient::plan(PutOp& op) {
  const uint64_t size = op.source->size();
  op.inline_file = size > 0 && size <= options_.inline_bytes;
  if (!cdc_ && !op.inline_file) {
    op.spans = fixed_chunks(size, options_.chunk_bytes);
    return absl::OkStatus();
  }
  // Inline or content-defined: the whole file is read first.
  auto whole = read_exactly(*op.source, 0, size);
  if (!whole.ok()) return whole.status();
  op.whole = std::move(*whole);
  if (op.inline_file) return absl::OkStatus();
  const std::string_view v = op.whole.view();
  op.spans = cdc_->split({reinterpret_cast<const uint8_t*>(v.data()), v.size()});
  return absl::OkStatus();
}

void FileClient::next_batch(std::shared_ptr<PutOp> op) {
  if (op->failed) return;
  if (op->batch_begin == op->spans.size()) return commit(op);
  op->batch_end = std::min<size_t>(op->spans.size(), op->batch_begin + options_.window);
  op->bytes.clear();
  uint64_t batch_bytes = 0;
  for (size_t i = op->batch_begin; i < op->batch_end; ++i) {
    const ChunkSpan& s = op->spans[i];
    absl::StatusOr<Payload> b =
        cdc_ ? absl::StatusOr<Payload>(Payload::alias(std::make_shared<Payload>(op->whole),
                                                      op->whole.view().substr(s.offset, s.length)))
             : read_exactly(*op->source, s.offset, s.length);
    if (!b.ok()) return fail(op, b.status());
    batch_bytes += s.length;
    op->bytes.push_back(std::move(*b));
  }
  // Hash off the node's thread: the work touches only this batch's bytes and digests.
  auto digests = std::make_shared<std::vector<cas::Digest>>(op->bytes.size());
  auto bytes = std::make_shared<std::vector<Payload>>(op->bytes);
  rt_.compute(
      cas::sha256_cost(batch_bytes),
      [digests, bytes] {
        for (size_t i = 0; i < bytes->size(); ++i)
          (*digests)[i] = cas::Digest::of((*bytes)[i].view());
      },
      [this, op, digests, alive = std::weak_ptr<bool>(alive_)] {
        if (alive.expired() || op->failed) return;
        op->digests.insert(op->digests.end(), digests->begin(), digests->end());
        hashed(op);
      });
}

void FileClient::hashed(std::shared_ptr<PutOp> op) {
  meta::wire::NsQuery q;
  for (size_t i = op->batch_begin; i < op->batch_end; ++i) {
    if (!op->stored.contains(op->digests[i])) {
      storage::digest_to(op->digests[i], q.mutable_find_missing()->add_chunks());
    }
  }
  if (q.find_missing().chunks().empty()) return negotiated(op, meta::wire::NsResult());
  ns_.query(std::move(q), [this, op, alive = std::weak_ptr<bool>(alive_)](auto r) {
    if (alive.expired() || op->failed) return;
    if (!r.ok()) return fail(op, r.status());
    negotiated(op, std::move(*r));
  });
}

void FileClient::negotiated(std::shared_ptr<PutOp> op, meta::wire::NsResult known) {
  for (const storage::wire::Layout& l : known.known()) {
    auto layout = storage::from_wire(l);
    if (!layout.ok()) return fail(op, layout.status());
    const cas::Digest d = layout->chunk;
    if (op->stored.emplace(d, std::move(*layout)).second) op->known.insert(d);
  }
  std::set<cas::Digest> sending;
  for (size_t i = op->batch_begin; i < op->batch_end; ++i) {
    const cas::Digest& d = op->digests[i];
    if (op->stored.contains(d) || !sending.insert(d).second) continue;
    ++op->pending;
    chunks_.put(d, op->bytes[i - op->batch_begin], op->options.write,
                [this, op, i, alive = std::weak_ptr<bool>(alive_)](auto layout) {
                  if (!alive.expired()) chunk_stored(op, i, std::move(layout));
                });
  }
  if (op->pending == 0) chunk_stored(op, op->batch_begin, absl::StatusOr<storage::ChunkLayout>());
}

void FileClient::chunk_stored(std::shared_ptr<PutOp> op, size_t index,
                              absl::StatusOr<storage::ChunkLayout> layout) {
  if (op->failed) return;
  if (op->pending > 0) {  // else: a batch that sent nothing
    if (!layout.ok()) {
      return fail(
          op, absl::Status(layout.status().code(),
                           absl::StrCat("storing chunk ", index, " (", op->digests[index].format(),
                                        "): ", layout.status().message())));
    }
    ++op->result.chunks_sent;
    op->result.bytes_sent += op->spans[index].length;
    op->stored.emplace(op->digests[index], std::move(*layout));
    if (--op->pending > 0) return;
  }
  for (size_t i = op->batch_begin; i < op->batch_end; ++i) op->done_bytes += op->spans[i].length;
  report(op->progress, op->started, op->done_bytes, op->source->size());
  op->bytes.clear();
  op->batch_begin = op->batch_end;
  next_batch(op);
}

namespace {

meta::wire::NsCommand put_command(const std::string& path, const PutOptions& options, uint64_t size,
                                  uint64_t chunk_bytes) {
  meta::wire::NsCommand c;
  meta::wire::PutFile& p = *c.mutable_put_file();
  p.set_path(path);
  p.set_condition(options.condition);
  p.set_if_version(options.if_version);
  p.mutable_manifest()->set_size_bytes(size);
  p.mutable_manifest()->set_chunk_bytes(chunk_bytes);
  return c;
}

}  // namespace

void FileClient::commit(std::shared_ptr<PutOp> op) {
  meta::wire::NsCommand c =
      put_command(op->path, op->options, op->source->size(), cdc_ ? 0 : options_.chunk_bytes);
  meta::wire::Manifest& m = *c.mutable_put_file()->mutable_manifest();
  for (const cas::Digest& d : op->digests) *m.add_chunks() = storage::to_wire(op->stored.at(d));
  // Chunks taken on the namespace's word: the put is refused if one was dropped since.
  for (const cas::Digest& d : op->known) {
    storage::digest_to(d, c.mutable_put_file()->add_known_chunks());
  }
  op->whole = Payload();
  propose(op, std::move(c));
}

// A small file: its bytes ride in the manifest, no chunk is stored.
void FileClient::commit_inline(std::shared_ptr<PutOp> op) {
  meta::wire::NsCommand c = put_command(op->path, op->options, op->whole.size(), 0);
  c.mutable_put_file()->mutable_manifest()->set_inline_data(std::string(op->whole.view()));
  op->result.bytes_sent = op->whole.size();
  op->whole = Payload();
  propose(op, std::move(c));
}

void FileClient::propose(std::shared_ptr<PutOp> op, meta::wire::NsCommand c) {
  ns_.command(std::move(c), [this, op, alive = std::weak_ptr<bool>(alive_)](auto r) {
    if (alive.expired() || op->failed) return;
    if (!r.ok()) return fail(op, r.status());
    op->result.entry = r->entry();
    // A chunked put reported its progress chunk by chunk; an inline one has only this step.
    if (op->inline_file)
      report(op->progress, op->started, op->result.bytes_sent, op->result.bytes_sent);
    PutDone done = std::move(op->done);
    done(std::move(op->result));
  });
}

void FileClient::fail(std::shared_ptr<PutOp> op, absl::Status status) {
  if (op->failed) return;
  op->failed = true;
  op->bytes.clear();
  op->whole = Payload();
  PutDone done = std::move(op->done);
  done(std::move(status));
}

void FileClient::report(const ProgressFn& fn, Time started, uint64_t done, uint64_t total) const {
  if (!fn) return;
  Progress p{.done_bytes = done, .total_bytes = total};
  const double seconds = to_seconds(rt_.now() - started);
  if (seconds > 0) p.bytes_per_second = static_cast<double>(done) / seconds;
  if (p.bytes_per_second > 0 && total > done) {
    p.left = from_seconds(static_cast<double>(total - done) / p.bytes_per_second);
  }
  fn(p);
}

}  // namespace cairn::client
