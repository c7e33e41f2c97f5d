#include "core/cas/scrubber.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/cas/blob_format.h"

namespace cairn::cas {

struct Scrubber::Pass {
  PassDone done;
  ScrubReport report;
  std::optional<Digest> cursor;  // the blob being checked (or last checked)
  uint64_t offset = 0;           // data bytes of it read so far
  std::unique_ptr<Digester> digester;
  std::vector<uint32_t> crcs;
  uint32_t open_crc = 0;
  uint64_t open_fill = 0;
  bool is_virtual = false;  // the blob is virtual: read as lengths, judged by the disk
  std::string damage;       // why a virtual blob's bytes read so far are bad ("" if good)
  bool stopped = false;
};

Scrubber::Scrubber(ShardStore& store, ScrubberOptions options, OnRot on_rot)
    : store_(store), rt_(store.runtime()), options_(options), on_rot_(std::move(on_rot)) {
  CAIRN_ASSERT(options_.bytes_per_second > 0);
  CAIRN_ASSERT(options_.piece_bytes > 0 && options_.piece_bytes % kBlockBytes == 0);
  CAIRN_ASSERT(options_.rest_between_passes > Duration(0));
}

void Scrubber::run_pass(PassDone done) {
  CAIRN_ASSERT(done != nullptr);
  CAIRN_ASSERT(pass_ == nullptr);
  pass_ = std::make_shared<Pass>();
  pass_->done = std::move(done);
  auto p = pass_;
  rt_.after(Duration(0), [this, p] {
    if (!p->stopped) next_blob(p);
  });
}

void Scrubber::start() {
  looping_ = true;
  if (pass_ != nullptr || rest_timer_ != kNoTimer) return;
  run_pass([this](ScrubReport) {
    if (!looping_) return;
    rest_timer_ = rt_.after(options_.rest_between_passes, [this] {
      rest_timer_ = kNoTimer;
      if (looping_) start();
    });
  });
}

void Scrubber::stop() {
  looping_ = false;
  rt_.cancel(rest_timer_);
  rest_timer_ = kNoTimer;
  if (pass_ != nullptr) pass_->stopped = true;
  pass_ = nullptr;
}

// Waits for the budget to allow `bytes` more, then runs fn (unless stopped meanwhile).
void Scrubber::pace(std::shared_ptr<Pass> p, uint64_t bytes, std::function<void()> fn) {
  const Duration wait = from_seconds(static_cast<double>(bytes) / options_.bytes_per_second);
  rt_.after(wait, [p, fn = std::move(fn)] {
    if (!p->stopped) fn();
  });
}

void Scrubber::next_blob(std::shared_ptr<Pass> p) {
  if (p->stopped) return;
  p->cursor = store_.next_after(p->cursor);
  if (!p->cursor.has_value()) {
    const ScrubReport& r = p->report;
    rt_.log().event(Event{"cas_scrub_pass",
                          {{"blobs", static_cast<int64_t>(r.blobs)},
                           {"bytes", static_cast<int64_t>(r.bytes)},
                           {"rot", static_cast<int64_t>(r.rot)}}});
    rt_.metrics().counter("cas_scrub_passes").add();
    pass_ = nullptr;
    return p->done(r);
  }
  p->offset = 0;
  p->digester = std::make_unique<Digester>();
  p->crcs.clear();
  p->open_crc = 0;
  p->open_fill = 0;
  p->is_virtual = store_.is_virtual(*p->cursor);
  p->damage.clear();
  read_piece(p);
}

void Scrubber::read_piece(std::shared_ptr<Pass> p) {
  const Digest d = *p->cursor;
  if (p->offset == d.size_bytes()) return check_trailer(p);
  CAIRN_ASSERT(p->offset < d.size_bytes());
  const uint64_t n = std::min(options_.piece_bytes, d.size_bytes() - p->offset);
  if (p->is_virtual) return read_virtual_piece(p, n);
  rt_.disk().read_range(
      blob_name(store_.options().root, d), p->offset, n,
      [this, p, d, n](absl::StatusOr<std::string> piece) {
        if (p->stopped) return;
        if (!piece.ok()) return read_failed(p, d, piece.status());
        auto bytes = std::make_shared<std::string>(std::move(*piece));
        rt_.compute(
            sha256_cost(n),
            [p, bytes] {
              p->digester->update({reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()});
              add_block_crcs(*bytes, &p->crcs, &p->open_crc, &p->open_fill);
            },
            [this, p, n] { piece_done(p, n); });
      });
}

// A piece of a virtual blob: read (disk time) and "hashed" (CPU time) like a real one,
// but only the disk can say whether it was damaged.
void Scrubber::read_virtual_piece(std::shared_ptr<Pass> p, uint64_t n) {
  const Digest d = *p->cursor;
  rt_.disk().read_payload(blob_name(store_.options().root, d), p->offset, n,
                          [this, p, d, n](absl::StatusOr<RangeBytes> piece) {
                            if (p->stopped) return;
                            if (!piece.ok()) return read_failed(p, d, piece.status());
                            if (piece->rotten && p->damage.empty())
                              p->damage = "virtual bytes damaged";
                            if (!piece->bytes.view().empty())
                              p->damage = "real bytes in a virtual blob";
                            rt_.compute(sha256_cost(n), nullptr,
                                        [this, p, n] { piece_done(p, n); });
                          });
}

void Scrubber::piece_done(std::shared_ptr<Pass> p, uint64_t n) {
  if (p->stopped) return;
  p->offset += n;
  p->report.bytes += n;
  rt_.metrics().counter("cas_scrub_bytes").add(static_cast<int64_t>(n));
  pace(p, n, [this, p] { read_piece(p); });
}

// Removed or quarantined meanwhile: not rot. Unreadable: try again next pass.
void Scrubber::read_failed(std::shared_ptr<Pass> p, const Digest& d, const absl::Status& st) {
  if (absl::IsDataLoss(st) && store_.contains(d)) {
    ++p->report.read_errors;
    rt_.metrics().counter("cas_scrub_read_errors").add();
  }
  next_blob(p);
}

void Scrubber::check_trailer(std::shared_ptr<Pass> p) {
  const Digest d = *p->cursor;
  if (p->is_virtual) return check_virtual_trailer(p);
  if (p->open_fill > 0) p->crcs.push_back(p->open_crc);
  const std::string want = encode_trailer(p->crcs);
  rt_.disk().read_range(blob_name(store_.options().root, d), d.size_bytes(), want.size(),
                        [this, p, d, want](absl::StatusOr<std::string> trailer) {
                          if (p->stopped) return;
                          if (!store_.contains(d)) return next_blob(p);  // removed meanwhile
                          if (!trailer.ok() && !absl::IsOutOfRange(trailer.status())) {
                            ++p->report.read_errors;
                            rt_.metrics().counter("cas_scrub_read_errors").add();
                            return next_blob(p);
                          }
                          const Digest got = p->digester->finish();
                          std::string reason;
                          if (got != d) {
                            reason = "bytes hash to " + got.format();
                          } else if (!trailer.ok()) {
                            reason = "blob file too short";
                          } else if (*trailer != want) {
                            reason = "checksum trailer mismatch";
                          }
                          if (!reason.empty()) return rotten(p, reason);
                          ++p->report.blobs;
                          next_blob(p);
                        });
}

// A virtual blob's trailer: a virtual crc table of the right length, undamaged, and the
// virtual footer.
void Scrubber::check_virtual_trailer(std::shared_ptr<Pass> p) {
  const Digest d = *p->cursor;
  const uint64_t table = kCrcBytes * block_count(d.size_bytes());
  rt_.disk().read_payload(
      blob_name(store_.options().root, d), d.size_bytes(), table + kFooterBytes,
      [this, p, d, table](absl::StatusOr<RangeBytes> t) {
        if (p->stopped) return;
        if (!store_.contains(d)) return next_blob(p);  // removed meanwhile
        if (!t.ok() && !absl::IsOutOfRange(t.status())) {
          return read_failed(p, d, t.status());
        }
        std::string reason = p->damage;
        if (reason.empty() && !t.ok()) {
          reason = "blob file too short";
        } else if (reason.empty() && t->rotten) {
          reason = "virtual checksum table damaged";
        } else if (reason.empty() && (t->bytes.virtual_bytes != table ||
                                      t->bytes.view() != encode_virtual_footer())) {
          reason = "virtual blob trailer mismatch";
        }
        if (!reason.empty()) return rotten(p, reason);
        ++p->report.blobs;
        next_blob(p);
      });
}

void Scrubber::rotten(std::shared_ptr<Pass> p, const std::string& reason) {
  const Digest d = *p->cursor;
  ++p->report.rot;
  rt_.metrics().counter("cas_scrub_rot").add();
  rt_.log().event(Event{"cas_scrub_rot", {{"digest", d.format()}, {"reason", reason}}});
  store_.quarantine(d, "scrub: " + reason, [this, p, d](absl::Status st) {
    if (p->stopped) return;
    if (!st.ok()) rt_.log().warn(absl::StrCat("quarantine of ", d.format(), ": ", st.message()));
    if (on_rot_) on_rot_(d);
    next_blob(p);
  });
}

}  // namespace cairn::cas
