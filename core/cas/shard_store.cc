#include "core/cas/shard_store.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/cas/blob_format.h"
#include "core/runtime/disk_util.h"
#include "core/wire/crc32c.h"

namespace cairn::cas {

namespace {

constexpr double kSha256BytesPerSecond = 1.5e9;  // TOOLCHAIN.md, EVP on this machine class
constexpr double kReferenceCpuFlops = 1e9;       // cairn-sim's default CPU

absl::Span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

Cost sha256_cost(uint64_t bytes) {
  return Cost{static_cast<double>(bytes) / kSha256BytesPerSecond * kReferenceCpuFlops};
}

struct ShardStore::PutStream {
  Digest digest;
  std::string tmp;
  bool dedup = false;       // digest present at begin: bytes are counted, not written
  bool is_virtual = false;  // its pieces so far are virtual (lengths only)
  bool created = false;     // the temporary file exists (something was appended)
  bool busy = false;        // a step is in flight
  uint64_t received_bytes = 0;
  uint64_t reserved_bytes = 0;
  Digester digester;
  std::vector<uint32_t> crcs;
  uint32_t open_crc = 0;
  uint64_t open_fill = 0;
};

ShardStore::ShardStore(Runtime& runtime, ShardStoreOptions options)
    : rt_(runtime), options_(std::move(options)) {
  CAIRN_ASSERT(!options_.root.empty());
  CAIRN_ASSERT(options_.max_ops_in_flight > 0);
  CAIRN_ASSERT(options_.max_piece_bytes > 0);
  CAIRN_ASSERT(options_.max_read_bytes > 0);
}

ShardStore::~ShardStore() = default;

absl::Status ShardStore::check_open() const {
  if (state_ == State::kOpen) return absl::OkStatus();
  return absl::FailedPreconditionError("shard store not recovered yet");
}

bool ShardStore::try_begin_op() {
  CAIRN_ASSERT(ops_in_flight_ <= options_.max_ops_in_flight);
  if (ops_in_flight_ == options_.max_ops_in_flight) return false;
  ++ops_in_flight_;
  return true;
}

void ShardStore::later(std::function<void()> fn) { rt_.after(Duration(0), std::move(fn)); }

// ---- put ----

absl::StatusOr<ShardStore::PutId> ShardStore::begin_put(const Digest& digest) {
  if (auto st = check_open(); !st.ok()) return st;
  if (digest.size_bytes() > options_.max_blob_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "blob of ", digest.size_bytes(), " bytes over the limit of ", options_.max_blob_bytes));
  }
  if (puts_.size() >= options_.max_open_puts) {
    return absl::UnavailableError(absl::StrCat(puts_.size(), " puts open already"));
  }
  auto s = std::make_unique<PutStream>();
  s->digest = digest;
  s->dedup = touch(digest);
  if (!s->dedup) {
    const uint64_t need = file_bytes_for(digest.size_bytes());
    const uint64_t have =
        options_.capacity_bytes - std::min(options_.capacity_bytes, used_bytes_ + reserved_bytes_);
    if (need > have) {
      return absl::ResourceExhaustedError(
          absl::StrCat("blob needs ", need, " bytes, the store has ", have, " free"));
    }
    s->reserved_bytes = need;
    reserved_bytes_ += need;
  }
  const PutId id = next_put_id_++;
  s->tmp = absl::StrCat(tmp_dir(options_.root), "/", id);
  puts_[id] = std::move(s);
  return id;
}

absl::Status ShardStore::idle_put(PutId id, PutMap::const_iterator it) const {
  if (it == puts_.end()) return absl::FailedPreconditionError(absl::StrCat("no open put ", id));
  if (it->second->busy) {
    return absl::FailedPreconditionError(absl::StrCat("put ", id, " has a step in flight"));
  }
  return absl::OkStatus();
}

absl::Status ShardStore::check_piece(const PutStream& s, const Payload& piece) const {
  const bool virtual_piece = piece.virtual_bytes != 0;
  if (virtual_piece && !piece.view().empty()) {
    return absl::InvalidArgumentError("a piece mixing real and virtual bytes");
  }
  if (piece.size() > 0 && s.received_bytes > 0 && virtual_piece != s.is_virtual) {
    return absl::InvalidArgumentError(virtual_piece ? "a virtual piece in a put of real bytes"
                                                    : "a real piece in a put of virtual bytes");
  }
  if (piece.size() > options_.max_piece_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "piece of ", piece.size(), " bytes over the limit of ", options_.max_piece_bytes));
  }
  if (piece.size() > s.digest.size_bytes() - s.received_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("piece runs past the blob's size of ", s.digest.size_bytes(), " bytes"));
  }
  return absl::OkStatus();
}

void ShardStore::append(PutId id, Payload piece, Done done) {
  CAIRN_ASSERT(done != nullptr);
  auto it = puts_.find(id);
  absl::Status bad = idle_put(id, it);
  if (bad.ok()) bad = check_piece(*it->second, piece);
  if (bad.ok() && !try_begin_op()) {
    bad = absl::UnavailableError("too many shard store operations in flight");
  }
  if (!bad.ok()) return later([done = std::move(done), bad] { done(bad); });
  PutStream* s = it->second.get();
  s->busy = true;
  if (piece.size() > 0) s->is_virtual = piece.virtual_bytes != 0;
  s->received_bytes += piece.size();
  // A failed write leaves the stream unusable (its hash saw the bytes): close it.
  auto finish = [this, id, s, done = std::move(done)](absl::Status st) {
    CAIRN_ASSERT(s->busy);
    s->busy = false;
    --ops_in_flight_;
    if (st.ok()) return done(st);
    discard_stream(id, st, std::move(done));
  };
  if (s->dedup) return later([finish = std::move(finish)] { finish(absl::OkStatus()); });
  // Hash off the node's thread (the stream is ours alone while busy), then write. Virtual
  // bytes cost the hashing time of real ones but cannot be hashed.
  rt_.compute(
      sha256_cost(piece.size()),
      [s, piece] {
        if (s->is_virtual) return;
        s->digester.update(as_bytes(piece.view()));
        add_block_crcs(piece.view(), &s->crcs, &s->open_crc, &s->open_fill);
      },
      [this, s, piece, finish = std::move(finish)]() mutable {
        s->created = true;
        rt_.disk().append(s->tmp, std::move(piece), std::move(finish));
      });
}

void ShardStore::abort(PutId id, Done done) {
  CAIRN_ASSERT(done != nullptr);
  auto it = puts_.find(id);
  if (it == puts_.end() || it->second->busy) {
    auto st = absl::FailedPreconditionError(absl::StrCat("put ", id, " not open or busy"));
    return later([done = std::move(done), st] { done(st); });
  }
  discard_stream(id, absl::OkStatus(), std::move(done));
}

std::unique_ptr<ShardStore::PutStream> ShardStore::take_stream(PutId id) {
  auto it = puts_.find(id);
  CAIRN_ASSERT(it != puts_.end());
  std::unique_ptr<PutStream> s = std::move(it->second);
  puts_.erase(it);
  CAIRN_ASSERT(reserved_bytes_ >= s->reserved_bytes);
  reserved_bytes_ -= s->reserved_bytes;
  return s;
}

void ShardStore::discard_stream(PutId id, absl::Status status, Done done) {
  std::unique_ptr<PutStream> s = take_stream(id);
  if (!s->created) return later([done = std::move(done), status] { done(status); });
  rt_.disk().remove(s->tmp, [this, status, done = std::move(done)](absl::Status) {
    // Whether or not the removal succeeded, start-up removes any temporary left behind.
    rt_.disk().sync_dir([status, done = std::move(done)](absl::Status) { done(status); });
  });
}

void ShardStore::commit(PutId id, PutDone done) {
  CAIRN_ASSERT(done != nullptr);
  auto it = puts_.find(id);
  absl::Status bad = idle_put(id, it);
  if (bad.ok() && !try_begin_op()) {
    bad = absl::UnavailableError("too many shard store operations in flight");
  }
  if (!bad.ok()) return later([done = std::move(done), bad] { done(bad); });
  PutStream* s = it->second.get();
  auto end = [this, done = std::move(done)](absl::StatusOr<PutResult> r) {
    CAIRN_ASSERT(ops_in_flight_ > 0);
    --ops_in_flight_;
    done(std::move(r));
  };
  if (s->received_bytes != s->digest.size_bytes()) {
    auto st = absl::InvalidArgumentError(
        absl::StrCat("got ", s->received_bytes, " bytes of a blob of ", s->digest.size_bytes()));
    return discard_stream(id, st, [end = std::move(end)](absl::Status s2) { end(s2); });
  }
  if (s->dedup) {
    // Present at begin_put, but it may have been removed since: then nothing is stored
    // and the put must not report success.
    absl::Status gone =
        touch(s->digest)
            ? absl::OkStatus()
            : absl::UnavailableError(absl::StrCat("blob ", s->digest.format(),
                                                  " was removed while its put streamed; retry"));
    return discard_stream(id, gone, [end = std::move(end), gone](absl::Status) {
      if (!gone.ok()) return end(gone);
      end(PutResult{.deduplicated = true});
    });
  }
  s->busy = true;
  if (s->is_virtual) {
    // Nothing to hash: the digest the put names is the blob's address (shard_store.h).
    return later([this, id, s, end = std::move(end)]() mutable {
      s->busy = false;
      Payload table;
      table.virtual_bytes = kCrcBytes * block_count(s->digest.size_bytes());
      write_trailer(id, {table, Payload(encode_virtual_footer())}, std::move(end));
    });
  }
  auto got = std::make_shared<Digest>();
  auto trailer = std::make_shared<std::string>();
  rt_.compute(
      sha256_cost(0),
      [s, got, trailer] {
        *got = s->digester.finish();
        std::vector<uint32_t> crcs = s->crcs;
        if (s->open_fill > 0) crcs.push_back(s->open_crc);
        *trailer = encode_trailer(crcs);
      },
      [this, id, s, got, trailer, end = std::move(end)]() mutable {
        s->busy = false;
        if (*got != s->digest) {
          auto st = absl::InvalidArgumentError(
              absl::StrCat("bytes hash to ", got->format(), ", not to ", s->digest.format()));
          return discard_stream(id, st, [end = std::move(end)](absl::Status s2) { end(s2); });
        }
        CAIRN_ASSERT(block_count(s->digest.size_bytes()) * kCrcBytes + kFooterBytes ==
                     trailer->size());
        write_trailer(id, {Payload(std::move(*trailer))}, std::move(end));
      });
}

// Commit's disk steps: trailer, sync, check the size, rename into place, sync the
// directory.
void ShardStore::write_trailer(PutId id, std::vector<Payload> trailer, PutDone end) {
  PutStream* s = puts_.at(id).get();
  s->busy = true;
  s->created = true;
  Disk& disk = rt_.disk();
  auto fail = [this, id, end](absl::Status st) {
    puts_.at(id)->busy = false;
    // Our own temporary vanished: the disk dropped what it acknowledged.
    if (absl::IsNotFound(st))
      st = absl::DataLossError(absl::StrCat("the disk lost ", st.message()));
    discard_stream(id, st, [end](absl::Status s2) { end(s2); });
  };
  auto parts = std::make_shared<std::vector<Payload>>(std::move(trailer));
  auto next = [parts, i = size_t{0}]() mutable -> std::optional<Payload> {
    if (i == parts->size()) return std::nullopt;
    return (*parts)[i++];
  };
  append_pieces(disk, s->tmp, next, [this, &disk, id, s, end, fail](absl::Status st) {
    if (!st.ok()) return fail(st);
    disk.sync(s->tmp, [this, &disk, id, s, end, fail](absl::Status synced) {
      if (!synced.ok()) return fail(synced);
      // A disk that dropped a write (and said it succeeded) leaves a short file: refuse
      // to publish it rather than acknowledge bytes that are not there.
      disk.stat(s->tmp, [this, id, s, end, fail](absl::StatusOr<FileStat> st2) {
        const uint64_t want = file_bytes_for(s->digest.size_bytes());
        if (!st2.ok()) return fail(st2.status());
        if (st2->size_bytes != want) {
          return fail(absl::DataLossError(absl::StrCat("the disk kept ", st2->size_bytes,
                                                       " bytes of a ", want, "-byte blob file")));
        }
        rename_into_place(id, end, fail);
      });
    });
  });
}

void ShardStore::rename_into_place(PutId id, PutDone end, std::function<void(absl::Status)> fail) {
  PutStream* s = puts_.at(id).get();
  CAIRN_ASSERT(s->busy);
  if (touch(s->digest)) {  // another put of it won meanwhile
    s->busy = false;
    return discard_stream(id, absl::OkStatus(),
                          [end](absl::Status) { end(PutResult{.deduplicated = true}); });
  }
  Disk& disk = rt_.disk();
  disk.rename(
      s->tmp, blob_name(options_.root, s->digest),
      [this, &disk, id, end, fail](absl::Status renamed) {
        if (!renamed.ok()) return fail(renamed);
        disk.sync_dir([this, id, end](absl::Status dir_synced) { publish(id, dir_synced, end); });
      });
}

// The rename is done; once the directory is synced the blob joins the index.
void ShardStore::publish(PutId id, absl::Status synced, PutDone end) {
  std::unique_ptr<PutStream> s = take_stream(id);
  // The file is in place even if the directory sync failed: serve it (its bytes are
  // verified), but report that its durability is not known.
  if (!index_.contains(s->digest)) {
    index_[s->digest] = Blob{.file_bytes = s->reserved_bytes, .is_virtual = s->is_virtual};
    used_bytes_ += s->reserved_bytes;
  }
  touch(s->digest);
  rt_.metrics().counter("cas_puts").add();
  rt_.metrics().counter("cas_put_bytes").add(static_cast<int64_t>(s->digest.size_bytes()));
  if (!synced.ok()) return end(synced);
  end(PutResult{.deduplicated = false});
}

void ShardStore::put(const Digest& digest, Payload bytes, PutDone done) {
  CAIRN_ASSERT(done != nullptr);
  absl::Status bad = check_open();
  if (bad.ok() && bytes.virtual_bytes != 0 && !bytes.view().empty()) {
    bad = absl::InvalidArgumentError("a payload mixing real and virtual bytes");
  }
  if (bad.ok() && bytes.size() != digest.size_bytes()) {
    bad = absl::InvalidArgumentError(
        absl::StrCat("got ", bytes.size(), " bytes for ", digest.format()));
  }
  if (bad.ok() && touch(digest)) {
    return later([done = std::move(done)] { done(PutResult{.deduplicated = true}); });
  }
  absl::StatusOr<PutId> id = bad.ok() ? begin_put(digest) : bad;
  if (!id.ok()) return later([done = std::move(done), st = id.status()] { done(st); });
  put_next_piece(*id, std::move(bytes), 0, std::move(done));
}

// Appends the pieces of `bytes` from `offset` on, one at a time, then commits.
void ShardStore::put_next_piece(PutId id, Payload bytes, uint64_t offset, PutDone done) {
  CAIRN_ASSERT(offset <= bytes.size());
  if (offset == bytes.size()) return commit(id, std::move(done));
  const uint64_t n = std::min<uint64_t>(options_.max_piece_bytes, bytes.size() - offset);
  Payload piece;
  if (bytes.virtual_bytes > 0) {
    piece.virtual_bytes = n;
  } else {
    piece = Payload::alias(bytes.owner(), bytes.view().substr(offset, n));
  }
  append(id, std::move(piece),
         [this, id, bytes, offset, n, done = std::move(done)](absl::Status st) mutable {
           if (st.ok()) return put_next_piece(id, std::move(bytes), offset + n, std::move(done));
           if (!puts_.contains(id)) return done(st);
           discard_stream(id, st, [done = std::move(done)](absl::Status s2) { done(s2); });
         });
}

// ---- reads ----

void ShardStore::get(const Digest& digest, ReadDone done) {
  read_range(digest, 0, digest.size_bytes(), std::move(done));
}

absl::Status ShardStore::check_read(const Digest& digest, uint64_t offset, uint64_t length) const {
  if (auto st = check_open(); !st.ok()) return st;
  const uint64_t size = digest.size_bytes();
  if (!index_.contains(digest))
    return absl::NotFoundError(absl::StrCat("no blob ", digest.format()));
  if (offset > size || length > size - offset) {
    return absl::OutOfRangeError(
        absl::StrCat("range [", offset, ", +", length, ") outside a blob of ", size, " bytes"));
  }
  if (length > options_.max_read_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("read of ", length, " bytes over the limit of ", options_.max_read_bytes));
  }
  return absl::OkStatus();
}

void ShardStore::read_range(const Digest& digest, uint64_t offset, uint64_t length, ReadDone done) {
  CAIRN_ASSERT(done != nullptr);
  absl::Status bad = check_read(digest, offset, length);
  if (bad.ok() && index_.at(digest).is_virtual) {
    bad = absl::InvalidArgumentError(
        absl::StrCat(digest.format(), " is virtual: read it with read_payload"));
  } else if (bad.ok() && !try_begin_op()) {
    bad = absl::UnavailableError("too many shard store operations in flight");
  }
  if (!bad.ok()) return later([done = std::move(done), bad] { done(bad); });
  read_real(digest, offset, length, [this, done = std::move(done)](absl::StatusOr<Payload> r) {
    CAIRN_ASSERT(ops_in_flight_ > 0);
    --ops_in_flight_;
    if (!r.ok()) return done(r.status());
    done(std::string(r->view()));
  });
}

void ShardStore::read_payload(const Digest& digest, uint64_t offset, uint64_t length,
                              PayloadDone done) {
  CAIRN_ASSERT(done != nullptr);
  absl::Status bad = check_read(digest, offset, length);
  if (bad.ok() && !try_begin_op()) {
    bad = absl::UnavailableError("too many shard store operations in flight");
  }
  if (!bad.ok()) return later([done = std::move(done), bad] { done(bad); });
  auto end = [this, done = std::move(done)](absl::StatusOr<Payload> r) {
    CAIRN_ASSERT(ops_in_flight_ > 0);
    --ops_in_flight_;
    done(std::move(r));
  };
  if (index_.at(digest).is_virtual) return read_virtual(digest, offset, length, std::move(end));
  read_real(digest, offset, length, std::move(end));
}

namespace {

// The blocks a range of a blob of `size` bytes touches (first and last index), and the
// data bytes [lo, hi) they hold. REQUIRES: length > 0.
struct BlockSpan {
  uint64_t first, last, lo, hi;
};
BlockSpan blocks_of(uint64_t size, uint64_t offset, uint64_t length) {
  const uint64_t first = offset / kBlockBytes;
  const uint64_t last = (offset + length - 1) / kBlockBytes;
  return {first, last, first * kBlockBytes, std::min(size, (last + 1) * kBlockBytes)};
}

// Two reads of one blob file issued side by side (reads keep no order between them, so
// the disk may run them at once); `then` gets both results, the first range's first.
template <typename Result, typename Read, typename Then>
void read_side_by_side(Read read, std::pair<uint64_t, uint64_t> a, std::pair<uint64_t, uint64_t> b,
                       Then then) {
  struct Join {
    std::optional<Result> a, b;
    Then then;
    void maybe_done() {
      if (a && b) then(std::move(*a), std::move(*b));
    }
  };
  auto join = std::make_shared<Join>(Join{std::nullopt, std::nullopt, std::move(then)});
  read(a.first, a.second, [join](Result r) {
    join->a = std::move(r);
    join->maybe_done();
  });
  read(b.first, b.second, [join](Result r) {
    join->b = std::move(r);
    join->maybe_done();
  });
}

}  // namespace

// The blocks holding the range, and their CRCs, as a real read verifies them.
void ShardStore::read_real(const Digest& digest, uint64_t offset, uint64_t length,
                           PayloadDone end) {
  if (length == 0) return later([end = std::move(end)] { end(Payload()); });
  const uint64_t size = digest.size_bytes();
  const BlockSpan blocks = blocks_of(size, offset, length);
  const uint64_t first = blocks.first, last = blocks.last, data_lo = blocks.lo, data_hi = blocks.hi;
  const std::string name = blob_name(options_.root, digest);
  Disk& disk = rt_.disk();
  // read_payload: the disk may hand back a buffer it reuses (the real runtime's does).
  read_side_by_side<absl::StatusOr<RangeBytes>>(
      [&disk, name](uint64_t at, uint64_t n, auto done) {
        disk.read_payload(name, at, n, std::move(done));
      },
      {size + kCrcBytes * first, kCrcBytes * (last - first + 1)}, {data_lo, data_hi - data_lo},
      [this, digest, offset, length, first, end = std::move(end)](
          absl::StatusOr<RangeBytes> crcs, absl::StatusOr<RangeBytes> data) mutable {
        if (!crcs.ok()) return end(read_failed(digest, crcs.status()));
        if (!data.ok()) return end(read_failed(digest, data.status()));
        for (const RangeBytes* r : {&*crcs, &*data}) {
          if (r->rotten || r->bytes.virtual_bytes != 0) {
            return end(rotten(digest, "virtual bytes in a real blob"));
          }
        }
        verify_blocks(digest, offset, length, first, crcs->bytes.view(), std::move(data->bytes),
                      std::move(end));
      });
}

// The same disk reads as a real blob's (so the same disk time), of virtual bytes: the
// disk's word on damage stands in for the CRCs.
void ShardStore::read_virtual(const Digest& digest, uint64_t offset, uint64_t length,
                              PayloadDone end) {
  if (length == 0) return later([end = std::move(end)] { end(Payload()); });
  const uint64_t size = digest.size_bytes();
  const BlockSpan blocks = blocks_of(size, offset, length);
  const uint64_t first = blocks.first, last = blocks.last, data_lo = blocks.lo, data_hi = blocks.hi;
  const std::string name = blob_name(options_.root, digest);
  Disk& disk = rt_.disk();
  auto check = [this, digest](const absl::StatusOr<RangeBytes>& r) {
    if (!r.ok()) return read_failed(digest, r.status());
    if (r->rotten) return rotten(digest, "virtual bytes damaged");
    if (!r->bytes.view().empty()) return rotten(digest, "real bytes in a virtual blob");
    return absl::OkStatus();
  };
  read_side_by_side<absl::StatusOr<RangeBytes>>(
      [&disk, name](uint64_t at, uint64_t n, auto done) {
        disk.read_payload(name, at, n, std::move(done));
      },
      {size + kCrcBytes * first, kCrcBytes * (last - first + 1)}, {data_lo, data_hi - data_lo},
      [this, length, check, end = std::move(end)](absl::StatusOr<RangeBytes> crcs,
                                                  absl::StatusOr<RangeBytes> data) mutable {
        if (absl::Status st = check(crcs); !st.ok()) return end(st);
        if (absl::Status st = check(data); !st.ok()) return end(st);
        rt_.metrics().counter("cas_read_bytes").add(static_cast<int64_t>(length));
        Payload out;
        out.virtual_bytes = length;
        end(out);
      });
}

// A disk error on a blob in the index: a missing file was removed meanwhile; a file
// shorter than its name says is damaged (quarantined); an unreadable sector is DataLoss.
absl::Status ShardStore::read_failed(const Digest& digest, absl::Status st) {
  CAIRN_ASSERT(!st.ok());
  if (absl::IsOutOfRange(st)) {
    st = absl::DataLossError(absl::StrCat(digest.format(), ": blob file too short"));
    quarantine(digest, "short blob file", [](absl::Status) {});
  } else if (absl::IsNotFound(st)) {
    st = absl::NotFoundError(absl::StrCat("no blob ", digest.format()));
  } else if (absl::IsDataLoss(st)) {
    rt_.metrics().counter("cas_read_errors").add();
  }
  return st;
}

// Bytes that fail their check: counted, quarantined, DataLoss.
absl::Status ShardStore::rotten(const Digest& digest, const std::string& reason) {
  rt_.metrics().counter("cas_read_rot").add();
  quarantine(digest, reason, [](absl::Status) {});
  return absl::DataLossError(absl::StrCat(digest.format(), ": ", reason));
}

void ShardStore::verify_blocks(const Digest& digest, uint64_t offset, uint64_t length,
                               uint64_t first_block, std::string_view crcs, Payload data,
                               PayloadDone end) {
  CAIRN_ASSERT(crcs.size() % kCrcBytes == 0);
  const uint64_t blocks = crcs.size() / kCrcBytes;
  const std::string_view bytes = data.view();
  CAIRN_ASSERT(bytes.size() > (blocks - 1) * kBlockBytes && bytes.size() <= blocks * kBlockBytes);
  uint32_t whole = 0;  // the CRC32C of all the blocks read, from theirs
  for (uint64_t b = 0; b < blocks; ++b) {
    const uint64_t at = b * kBlockBytes;
    const uint64_t n = std::min<uint64_t>(kBlockBytes, bytes.size() - at);
    const uint32_t block_crc = load_u32(crcs.data() + kCrcBytes * b);
    if (wire::crc32c(bytes.data() + at, n) != block_crc) {
      return end(rotten(digest, absl::StrCat("block ", first_block + b, " checksum mismatch")));
    }
    whole = b == 0 ? block_crc : wire::crc32c_combine(whole, block_crc, n);
  }
  const uint64_t skip = offset - first_block * kBlockBytes;
  CAIRN_ASSERT(skip + length <= bytes.size());
  rt_.metrics().counter("cas_read_bytes").add(static_cast<int64_t>(length));
  // Whole blocks carry their (just verified) CRC, so a frame encoder need not read them
  // again; a range within blocks is an alias of them, shared, never copied.
  if (skip == 0 && length == bytes.size()) return end(data.with_crc32c(whole));
  end(Payload::alias(data.owner(), bytes.substr(skip, length)));
}

// ---- remove and quarantine ----

void ShardStore::remove(const Digest& digest, Done done) {
  CAIRN_ASSERT(done != nullptr);
  absl::Status bad = check_open();
  if (bad.ok() && !index_.contains(digest)) {
    bad = absl::NotFoundError(absl::StrCat("no blob ", digest.format()));
  } else if (bad.ok() && !try_begin_op()) {
    bad = absl::UnavailableError("too many shard store operations in flight");
  }
  if (!bad.ok()) return later([done = std::move(done), bad] { done(bad); });
  // Out of the index at once, so a put of the same digest issued meanwhile writes anew
  // (its rename is ordered after this removal).
  const uint64_t bytes = index_.at(digest).file_bytes;
  index_.erase(digest);
  used_bytes_ -= bytes;
  rt_.disk().remove(blob_name(options_.root, digest),
                    [this, done = std::move(done)](absl::Status st) {
                      rt_.disk().sync_dir([this, st, done = std::move(done)](absl::Status st2) {
                        CAIRN_ASSERT(ops_in_flight_ > 0);
                        --ops_in_flight_;
                        done(st.ok() ? st2 : st);
                      });
                    });
}

void ShardStore::remove_if_idle(const Digest& digest, Duration idle_for, Done done) {
  CAIRN_ASSERT(done != nullptr);
  auto it = index_.find(digest);
  if (check_open().ok() && it != index_.end() && rt_.now() - it->second.touched < idle_for) {
    const auto ago =
        std::chrono::duration_cast<std::chrono::milliseconds>(rt_.now() - it->second.touched);
    auto st = absl::FailedPreconditionError(
        absl::StrCat("blob ", digest.format(), " was stored or deduplicated against ", ago.count(),
                     " ms ago; kept for its grace period"));
    return later([done = std::move(done), st] { done(st); });
  }
  remove(digest, std::move(done));
}

bool ShardStore::touch(const Digest& digest) {
  auto it = index_.find(digest);
  if (it == index_.end()) return false;
  it->second.touched = rt_.now();
  return true;
}

void ShardStore::quarantine(const Digest& digest, const std::string& reason, Done done) {
  CAIRN_ASSERT(done != nullptr);
  auto it = index_.find(digest);
  if (it == index_.end()) return later([done = std::move(done)] { done(absl::OkStatus()); });
  used_bytes_ -= it->second.file_bytes;
  index_.erase(it);
  ++quarantined_;
  rt_.metrics().counter("cas_quarantined").add();
  rt_.log().warn(absl::StrCat("quarantined ", digest.format(), ": ", reason));
  rt_.log().event(Event{"cas_quarantine", {{"digest", digest.format()}, {"reason", reason}}});
  Disk& disk = rt_.disk();
  disk.rename(blob_name(options_.root, digest), quarantine_name(options_.root, digest),
              [&disk, done = std::move(done)](absl::Status st) {
                if (!st.ok()) return done(st);
                disk.sync_dir(std::move(done));
              });
}

// ---- queries ----

bool ShardStore::contains(const Digest& digest) const { return index_.contains(digest); }

bool ShardStore::is_virtual(const Digest& digest) const {
  auto it = index_.find(digest);
  return it != index_.end() && it->second.is_virtual;
}

std::optional<Digest> ShardStore::next_after(const std::optional<Digest>& cursor) const {
  auto it = cursor.has_value() ? index_.upper_bound(*cursor) : index_.begin();
  if (it == index_.end()) return std::nullopt;
  return it->first;
}

StoreStats ShardStore::stats() const {
  return StoreStats{.blobs = index_.size(),
                    .used_bytes = used_bytes_,
                    .reserved_bytes = reserved_bytes_,
                    .capacity_bytes = options_.capacity_bytes,
                    .quarantined = quarantined_};
}

void ShardStore::check_invariants() const {
  // The walk of the whole index runs on every call while it is small, then once every
  // index_.size() calls, so a simulator that checks after every step pays O(1) per step
  // on average instead of O(blobs).
  constexpr size_t kAlwaysWalkBlobs = 64;
  ++invariant_checks_;
  if (index_.size() <= kAlwaysWalkBlobs || invariant_checks_ % index_.size() == 0) {
    uint64_t used = 0;
    for (const auto& [digest, blob] : index_) {
      CAIRN_ASSERT(blob.file_bytes == file_bytes_for(digest.size_bytes()));
      used += blob.file_bytes;
    }
    CAIRN_ASSERT(used == used_bytes_);
  }
  CAIRN_ASSERT(used_bytes_ >= index_.size() * kFooterBytes);
  uint64_t reserved = 0;
  for (const auto& [id, s] : puts_) {
    CAIRN_ASSERT(id < next_put_id_);
    CAIRN_ASSERT(s->received_bytes <= s->digest.size_bytes());
    CAIRN_ASSERT(!s->is_virtual || s->received_bytes > 0);
    reserved += s->reserved_bytes;
  }
  CAIRN_ASSERT(reserved == reserved_bytes_);
  CAIRN_ASSERT(puts_.size() <= options_.max_open_puts);
  CAIRN_ASSERT(ops_in_flight_ <= options_.max_ops_in_flight);
}

}  // namespace cairn::cas
