#include "core/runtime/faulty_disk.h"

#include <algorithm>
#include <memory>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace cairn {
namespace {

absl::Status full_error(const std::string& name) {
  return absl::ResourceExhaustedError(absl::StrCat("disk full writing '", name, "'"));
}

}  // namespace

FaultyDisk::FaultyDisk(Disk& inner, Rng rng, Hooks hooks)
    : inner_(inner), rng_(rng), hooks_(std::move(hooks)) {}

void FaultyDisk::set_faults(const DiskFaults& faults) {
  CAIRN_ASSERT(faults.added_latency >= Duration(0));
  CAIRN_ASSERT(faults.added_latency == Duration(0) || hooks_.set_added_latency != nullptr);
  if (faults.added_latency != faults_.added_latency && hooks_.set_added_latency) {
    hooks_.set_added_latency(faults.added_latency);
  }
  faults_ = faults;
}

uint64_t FaultyDisk::injected(const std::string& kind) const {
  auto it = injected_.find(kind);
  return it == injected_.end() ? 0 : it->second;
}

void FaultyDisk::report(const std::string& kind, const std::string& name,
                        const std::string& detail) {
  ++injected_[kind];
  if (!hooks_.on_fault) return;
  Event e{kind, {{"file", name}}};
  if (!detail.empty()) e.fields.push_back({"detail", detail});
  hooks_.on_fault(std::move(e));
}

void FaultyDisk::complete_later(Done done, absl::Status status) {
  inner_.space([done = std::move(done), status](const absl::StatusOr<DiskSpace>&) {
    if (done) done(status);
  });
}

FaultyDisk::WriteFate FaultyDisk::decide_write(const std::string& name, const Payload& bytes,
                                               std::string* victim) {
  if (faults_.full && bytes.size() > 0) {
    report("disk_full", name, "");
    return WriteFate::kFull;
  }
  if (rng_.chance(faults_.lost_write_probability)) {
    report("disk_lost_write", name, "");
    return WriteFate::kLost;
  }
  if (rng_.chance(faults_.misdirected_write_probability)) {
    std::vector<std::string> others;
    for (const std::string& k : known_) {
      if (k != name) others.push_back(k);
    }
    if (others.empty()) {
      report("disk_lost_write", name, "misdirected, no other file");
      return WriteFate::kLost;
    }
    *victim = others[rng_.below(others.size())];
    report("disk_misdirected_write", name, absl::StrCat("landed in ", *victim));
    return WriteFate::kMisdirect;
  }
  known_.insert(name);
  return WriteFate::kStore;
}

void FaultyDisk::write(const std::string& name, Payload bytes, Done done) {
  std::string victim;
  switch (decide_write(name, bytes, &victim)) {
    case WriteFate::kStore:
      return inner_.write(name, std::move(bytes), std::move(done));
    case WriteFate::kFull:
      return complete_later(std::move(done), full_error(name));
    case WriteFate::kLost:
      return complete_later(std::move(done), absl::OkStatus());
    case WriteFate::kMisdirect:
      return inner_.write(victim, std::move(bytes), std::move(done));
  }
}

void FaultyDisk::append(const std::string& name, Payload bytes, Done done) {
  std::string victim;
  switch (decide_write(name, bytes, &victim)) {
    case WriteFate::kStore:
      return inner_.append(name, std::move(bytes), std::move(done));
    case WriteFate::kFull:
      return complete_later(std::move(done), full_error(name));
    case WriteFate::kLost:
      return complete_later(std::move(done), absl::OkStatus());
    case WriteFate::kMisdirect:
      return inner_.append(victim, std::move(bytes), std::move(done));
  }
}

void FaultyDisk::append_sync(const std::string& name, Payload bytes, Done done) {
  std::string victim;
  switch (decide_write(name, bytes, &victim)) {
    case WriteFate::kStore:
      return inner_.append_sync(name, std::move(bytes), std::move(done));
    case WriteFate::kFull:
      return complete_later(std::move(done), full_error(name));
    case WriteFate::kLost:
      // The device acknowledges the flush of bytes it never wrote.
      return inner_.sync(name, [done = std::move(done)](absl::Status) { done(absl::OkStatus()); });
    case WriteFate::kMisdirect:
      return inner_.append_sync(victim, std::move(bytes), std::move(done));
  }
}

Disk::ReadDone FaultyDisk::maybe_fail_read(const std::string& name, ReadDone done) {
  if (!rng_.chance(faults_.read_error_probability)) return done;
  report("disk_read_error", name, "");
  return [name, done = std::move(done)](const absl::StatusOr<std::string>&) {
    done(absl::DataLossError(absl::StrCat("read error (EIO) on '", name, "'")));
  };
}

void FaultyDisk::read_payload(const std::string& name, uint64_t offset, uint64_t length,
                              PayloadDone done) {
  known_.insert(name);
  if (!rng_.chance(faults_.read_error_probability)) {
    return inner_.read_payload(name, offset, length, std::move(done));
  }
  report("disk_read_error", name, "");
  inner_.read_payload(name, offset, length,
                      [name, done = std::move(done)](const absl::StatusOr<RangeBytes>&) {
                        done(absl::DataLossError(absl::StrCat("read error (EIO) on '", name, "'")));
                      });
}

void FaultyDisk::read(const std::string& name, ReadDone done) {
  known_.insert(name);
  inner_.read(name, maybe_fail_read(name, std::move(done)));
}

void FaultyDisk::read_range(const std::string& name, uint64_t offset, uint64_t length,
                            ReadDone done) {
  known_.insert(name);
  inner_.read_range(name, offset, length, maybe_fail_read(name, std::move(done)));
}

void FaultyDisk::stat(const std::string& name, StatDone done) {
  inner_.stat(name, std::move(done));
}

void FaultyDisk::sync(const std::string& name, Done done) { inner_.sync(name, std::move(done)); }

void FaultyDisk::rename(const std::string& from, const std::string& to, Done done) {
  if (known_.erase(from) > 0) known_.insert(to);
  inner_.rename(from, to, std::move(done));
}

void FaultyDisk::remove(const std::string& name, Done done) {
  known_.erase(name);
  inner_.remove(name, std::move(done));
}

void FaultyDisk::sync_dir(Done done) { inner_.sync_dir(std::move(done)); }

void FaultyDisk::list(const std::string& prefix, ListDone done) {
  inner_.list(prefix, std::move(done));
}

void FaultyDisk::list_dir(const std::string& dir, DirDone done) {
  inner_.list_dir(dir, std::move(done));
}

void FaultyDisk::space(SpaceDone done) {
  if (!faults_.full) return inner_.space(std::move(done));
  inner_.space([done = std::move(done)](absl::StatusOr<DiskSpace> s) {
    if (s.ok()) s->free_bytes = 0;
    done(std::move(s));
  });
}

void FaultyDisk::rot(const std::string& prefix, uint64_t files,
                     std::function<void(absl::StatusOr<std::vector<RotReport>>)> done) {
  CAIRN_ASSERT(done != nullptr);
  inner_.list(prefix, [this, files, done = std::move(done)](
                          absl::StatusOr<std::vector<std::string>> names) mutable {
    if (!names.ok()) return done(names.status());
    rot_next(std::move(*names), files, {}, std::move(done));
  });
}

// Rots one candidate after another until `files` were rotted or none is left. Each step
// reads, flips, writes back and syncs through the wrapped disk (no fault applies).
void FaultyDisk::rot_next(std::vector<std::string> candidates, uint64_t files,
                          std::vector<RotReport> so_far,
                          std::function<void(absl::StatusOr<std::vector<RotReport>>)> done) {
  if (so_far.size() >= files || candidates.empty()) {
    std::sort(so_far.begin(), so_far.end(),
              [](const RotReport& a, const RotReport& b) { return a.name < b.name; });
    return complete_later([so_far, done](absl::Status) { done(so_far); }, absl::OkStatus());
  }
  const size_t pick = rng_.below(candidates.size());
  const std::string name = candidates[pick];
  candidates.erase(candidates.begin() + static_cast<ptrdiff_t>(pick));
  auto state =
      std::make_shared<std::tuple<std::vector<std::string>, std::vector<RotReport>,
                                  std::function<void(absl::StatusOr<std::vector<RotReport>>)>>>(
          std::move(candidates), std::move(so_far), std::move(done));
  inner_.read(name, [this, name, files, state](absl::StatusOr<std::string> bytes) {
    auto& [rest, reports, finish] = *state;
    if (!bytes.ok()) return finish(bytes.status());
    if (bytes->empty()) return rot_next(std::move(rest), files, std::move(reports), finish);
    const uint64_t offset = rng_.below(bytes->size());
    const int bit = static_cast<int>(rng_.below(8));
    (*bytes)[offset] = static_cast<char>((*bytes)[offset] ^ (1 << bit));
    reports.push_back(RotReport{name, offset, bit});
    report("disk_rot", name, absl::StrCat("offset ", offset, " bit ", bit));
    inner_.write(name, std::move(*bytes), [this, name, files, state](absl::Status st) {
      auto& [rest2, reports2, finish2] = *state;
      if (!st.ok()) return finish2(st);
      inner_.sync(name, [this, files, state](absl::Status st2) {
        auto& [rest3, reports3, finish3] = *state;
        if (!st2.ok()) return finish3(st2);
        rot_next(std::move(rest3), files, std::move(reports3), std::move(finish3));
      });
    });
  });
}

}  // namespace cairn
