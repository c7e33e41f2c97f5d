// ShardStore::recover(): start-up from what the disk kept (see shard_store.h).
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/cas/blob_format.h"
#include "core/cas/shard_store.h"

namespace cairn::cas {

struct ShardStore::Recovery {
  std::vector<std::string> names;
  RecoveryReport report;
  RecoverDone done;
};

void ShardStore::recover(RecoverDone done) {
  CAIRN_ASSERT(done != nullptr);
  CAIRN_ASSERT(state_ == State::kNew);
  CAIRN_ASSERT(index_.empty() && puts_.empty());
  state_ = State::kRecovering;
  auto r = std::make_shared<Recovery>();
  r->done = std::move(done);
  rt_.disk().list(options_.root + "/", [this, r](absl::StatusOr<std::vector<std::string>> names) {
    if (!names.ok()) {
      state_ = State::kNew;
      return r->done(names.status());
    }
    r->names = std::move(*names);
    recover_step(r, 0);
  });
}

// Looks at r->names[i], then continues with i + 1 from the completion.
void ShardStore::recover_step(std::shared_ptr<Recovery> r, size_t i) {
  CAIRN_ASSERT(state_ == State::kRecovering);
  if (i == r->names.size()) return recover_finish(r);
  const std::string& name = r->names[i];
  Disk& disk = rt_.disk();
  auto next = [this, r, i](absl::Status) { recover_step(r, i + 1); };
  if (absl::StartsWith(name, tmp_dir(options_.root) + "/")) {
    ++r->report.temporaries_removed;
    return disk.remove(name, next);
  }
  if (absl::StartsWith(name, options_.root + "/quarantine/")) {
    ++r->report.in_quarantine;
    return later([next] { next(absl::OkStatus()); });
  }
  std::optional<Digest> digest = digest_from_blob_name(options_.root, name);
  if (!digest.has_value()) {
    rt_.log().warn(absl::StrCat("shard store: ignoring unknown file ", name));
    return later([next] { next(absl::OkStatus()); });
  }
  const uint64_t want = file_bytes_for(digest->size_bytes());
  auto bad = [this, r, &disk, d = *digest, next](const std::string& reason) {
    ++r->report.quarantined;
    ++quarantined_;
    rt_.metrics().counter("cas_quarantined").add();
    rt_.log().warn(absl::StrCat("quarantined ", d.format(), " at start-up: ", reason));
    rt_.log().event(Event{"cas_quarantine", {{"digest", d.format()}, {"reason", reason}}});
    disk.rename(blob_name(options_.root, d), quarantine_name(options_.root, d), next);
  };
  disk.stat(
      name, [&disk, name, want, d = *digest, r, bad, next, this](absl::StatusOr<FileStat> st) {
        if (!st.ok()) return bad(std::string(st.status().message()));
        if (st->size_bytes != want) {
          return bad(absl::StrCat("file of ", st->size_bytes, " bytes, expected ", want));
        }
        disk.read_range(name, want - kFooterBytes, kFooterBytes,
                        [d, want, r, bad, next, this](absl::StatusOr<std::string> footer) {
                          absl::Status ok = footer.ok() ? check_footer(*footer) : footer.status();
                          if (!ok.ok()) return bad(std::string(ok.message()));
                          index_[d] = Blob{.file_bytes = want,
                                           .is_virtual = footer_is_virtual(*footer),
                                           .touched = rt_.now()};
                          used_bytes_ += want;
                          ++r->report.blobs;
                          next(absl::OkStatus());
                        });
      });
}

void ShardStore::recover_finish(std::shared_ptr<Recovery> r) {
  rt_.disk().sync_dir([this, r](absl::Status st) {
    if (!st.ok()) {
      index_.clear();
      used_bytes_ = 0;
      state_ = State::kNew;
      return r->done(st);
    }
    state_ = State::kOpen;
    const RecoveryReport& rep = r->report;
    CAIRN_ASSERT(rep.blobs == index_.size());
    rt_.log().info(absl::StrCat("shard store recovered: ", rep.blobs, " blobs (", used_bytes_,
                                " bytes), ", rep.temporaries_removed, " temporaries removed, ",
                                rep.quarantined, " quarantined"));
    rt_.log().event(Event{"cas_recovered",
                          {{"blobs", static_cast<int64_t>(rep.blobs)},
                           {"temporaries_removed", static_cast<int64_t>(rep.temporaries_removed)},
                           {"quarantined", static_cast<int64_t>(rep.quarantined)}}});
    rt_.metrics().gauge("cas_blobs").set(static_cast<double>(rep.blobs));
    check_invariants();
    r->done(rep);
  });
}

}  // namespace cairn::cas
