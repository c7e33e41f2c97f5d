#include "core/raft/disk_storage.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/runtime/disk_util.h"
#include "core/wire/crc32c.h"

namespace cairn::raft {
namespace {

constexpr uint64_t kMaxRecordBytes = uint64_t{256} << 20;  // a longer length is garbage

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t get_u32(const std::string& in, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    v |= static_cast<uint32_t>(static_cast<unsigned char>(in[at + static_cast<size_t>(i)]))
         << (8 * i);
  }
  return v;
}

// One whole-file record (hard state, snapshot): exactly one good record or DataLoss.
absl::StatusOr<std::string> single_record(const std::string& bytes, const std::string& name) {
  uint64_t good = 0;
  std::vector<std::string> records = DiskStorage::unframe(bytes, &good);
  if (records.size() != 1 || good != bytes.size()) {
    return absl::DataLossError(absl::StrCat("raft: ", name, " is corrupt"));
  }
  return std::move(records.front());
}

// Writes the 8-byte record header of the `length` payload bytes at out[at + 8, ...) into
// out[at, at + 8).
void put_header(std::string* out, size_t at, size_t length) {
  CAIRN_ASSERT(length <= kMaxRecordBytes);
  std::string header;
  put_u32(header, static_cast<uint32_t>(length));
  put_u32(header, cairn::wire::crc32c(out->data() + at + 8, length));
  out->replace(at, 8, header);
}

}  // namespace

DiskStorage::DiskStorage(Disk& disk, std::string dir) : disk_(disk), dir_(std::move(dir)) {
  CAIRN_ASSERT(!dir_.empty());
}

std::string DiskStorage::frame(const std::string& payload) {
  std::string out(8, '\0');
  out.append(payload);
  put_header(&out, 0, payload.size());
  return out;
}

std::string DiskStorage::frame(const google::protobuf::MessageLite& message) {
  std::string out;
  append_frame(message, &out);
  return out;
}

void DiskStorage::append_frame(const google::protobuf::MessageLite& message, std::string* out) {
  const size_t at = out->size();
  out->append(8, '\0');
  message.AppendToString(out);
  put_header(out, at, out->size() - at - 8);
}

std::vector<std::string> DiskStorage::unframe(const std::string& bytes, uint64_t* good_bytes) {
  std::vector<std::string> out;
  size_t at = 0;
  while (bytes.size() - at >= 8) {
    const uint32_t length = get_u32(bytes, at);
    const uint32_t crc = get_u32(bytes, at + 4);
    if (length == 0 || length > kMaxRecordBytes || bytes.size() - at - 8 < length) break;
    if (cairn::wire::crc32c(bytes.data() + at + 8, length) != crc) break;
    out.push_back(bytes.substr(at + 8, length));
    at += 8 + length;
  }
  *good_bytes = at;
  return out;
}

void DiskStorage::run_steps(std::vector<Step> steps, size_t i, Done done) {
  if (i == steps.size()) return done(absl::OkStatus());
  auto shared = std::make_shared<std::vector<Step>>(std::move(steps));
  Step& step = (*shared)[i];
  step([shared, i, done = std::move(done)](absl::Status st) mutable {
    if (!st.ok()) return done(st);
    run_steps(std::move(*shared), i + 1, std::move(done));
  });
}

absl::StatusOr<PersistentState> DiskStorage::load() const {
  if (!recovered_) return absl::FailedPreconditionError("raft: storage not recovered yet");
  return mirror_.state();
}

void DiskStorage::recover(Done done) {
  CAIRN_ASSERT(!recovered_ && !busy_);
  busy_ = true;
  std::vector<Step> steps;
  steps.push_back([this](Done d) { read_hard_state(std::move(d)); });
  steps.push_back([this](Done d) { read_snapshot(std::move(d)); });
  steps.push_back([this](Done d) { read_log(std::move(d)); });
  steps.push_back([this](Done d) {
    if (!report_.rewrote_log) return d(absl::OkStatus());
    rewrite_log_step()(std::move(d));
  });
  run_steps(std::move(steps), 0, [this, done = std::move(done)](absl::Status st) {
    busy_ = false;
    recovered_ = st.ok();
    done(st);
  });
}

void DiskStorage::read_hard_state(Done done) {
  disk_.read(hard_state_file(), [this, done = std::move(done)](absl::StatusOr<std::string> r) {
    if (absl::IsNotFound(r.status())) return done(absl::OkStatus());  // a first start
    if (!r.ok()) return done(r.status());
    absl::StatusOr<std::string> payload = single_record(*r, hard_state_file());
    if (!payload.ok()) return done(payload.status());
    if (!hard_state_on_disk_.ParseFromString(*payload)) {
      return done(absl::DataLossError("raft: unreadable hard state"));
    }
    done(absl::OkStatus());
  });
}

void DiskStorage::read_snapshot(Done done) {
  disk_.read(snapshot_file(), [this, done = std::move(done)](absl::StatusOr<std::string> r) {
    if (absl::IsNotFound(r.status())) return done(absl::OkStatus());
    if (!r.ok()) return done(r.status());
    absl::StatusOr<std::string> payload = single_record(*r, snapshot_file());
    if (!payload.ok()) return done(payload.status());
    if (!recovered_snapshot_.ParseFromString(*payload)) {
      return done(absl::DataLossError("raft: unreadable snapshot"));
    }
    report_.snapshot_index = recovered_snapshot_.metadata().index();
    done(absl::OkStatus());
  });
}

void DiskStorage::read_log(Done done) {
  disk_.read(log_file(), [this, done = std::move(done)](absl::StatusOr<std::string> r) {
    std::vector<wire::Entry> records;
    if (r.ok()) {
      uint64_t good = 0;
      uint64_t used = 0;
      for (const std::string& payload : unframe(*r, &good)) {
        wire::Entry e;
        // A record whose CRC matches but which does not parse is damage too: stop there.
        if (!e.ParseFromString(payload) || e.index() == 0) break;
        records.push_back(std::move(e));
        used += 8 + payload.size();
      }
      report_.dropped_bytes = r->size() - used;
      report_.log_records = records.size();
      report_.rewrote_log = report_.dropped_bytes > 0;
    } else if (!absl::IsNotFound(r.status())) {
      return done(r.status());
    }
    done(rebuild(records));
  });
}

absl::Status DiskStorage::rebuild(const std::vector<wire::Entry>& records) {
  std::vector<wire::Entry> log;
  for (const wire::Entry& e : records) {
    if (!log.empty() && e.index() > log.back().index() + 1) {  // a gap: nothing after is usable
      report_.rewrote_log = true;
      break;
    }
    if (!log.empty() && e.index() <= log.front().index()) log.clear();
    if (!log.empty()) log.resize(e.index() - log.front().index());
    log.push_back(e);
  }
  const uint64_t snap_index = recovered_snapshot_.metadata().index();
  const uint64_t snap_term = recovered_snapshot_.metadata().term();
  std::vector<wire::Entry> kept;
  if (!log.empty() && log.front().index() <= snap_index + 1 && log.back().index() > snap_index) {
    // Keep what follows the snapshot only if the log agrees with it there (§7).
    const bool agrees = log.front().index() == snap_index + 1 ||
                        log[snap_index - log.front().index()].term() == snap_term;
    if (agrees) {
      kept.assign(log.begin() + static_cast<std::ptrdiff_t>(snap_index + 1 - log.front().index()),
                  log.end());
    }
  }
  if (kept.size() != log.size()) report_.rewrote_log = true;  // drop what no longer counts
  if (snap_index == 0 && !log.empty() && log.front().index() != 1) {
    return absl::DataLossError(
        absl::StrCat("raft: log starts at ", log.front().index(), " with no snapshot before it"));
  }
  const uint64_t last = snap_index + kept.size();
  wire::HardState hs = hard_state_on_disk_;
  if (hs.commit() > last) {
    return absl::DataLossError(absl::StrCat("raft: committed index ", hs.commit(),
                                            " is beyond the recovered log end ", last));
  }
  hs.set_commit(std::max(hs.commit(), snap_index));
  Ready rd;
  if (snap_index > 0) rd.snapshot = recovered_snapshot_;
  rd.entries = std::move(kept);
  rd.hard_state = hs;
  mirror_ = MemoryStorage();
  mirror_.persist(rd);
  report_.first_index = rd.entries.empty() ? 0 : rd.entries.front().index();
  report_.last_index = last;
  return absl::OkStatus();
}

bool DiskStorage::needs_write(const Ready& rd) const {
  const wire::HardState& disk_hs = mirror_.state().hard_state;
  return rd.snapshot.has_value() || !rd.entries.empty() ||
         (rd.hard_state &&
          (rd.hard_state->term() != disk_hs.term() || rd.hard_state->vote() != disk_hs.vote()));
}

void DiskStorage::persist(const Ready& rd, Done done) {
  CAIRN_ASSERT(recovered_ && !busy_);
  if (!snapshot_error_.ok()) return done(snapshot_error_);
  busy_ = true;
  std::vector<Step> steps;
  if (rd.snapshot && !rd.restore_state_machine) {
    write_local_snapshot(*rd.snapshot);  // beside the pipeline: the log still has it all
  } else if (rd.snapshot) {
    next_local_snapshot_.reset();  // older than the leader's
    steps.push_back(wait_for_snapshot_writer_step());
    steps.push_back(replace_file_step(snapshot_file(), frame(*rd.snapshot)));
    steps.push_back([this, snap = *rd.snapshot](Done d) mutable {
      Ready only;
      only.snapshot = std::move(snap);
      mirror_.persist(std::move(only));
      d(absl::OkStatus());
    });
    log_rewrite_due_ = true;  // drops what the snapshot covers
  }
  if (log_rewrite_due_) {
    log_rewrite_due_ = false;
    steps.push_back(rewrite_log_step());
  }
  if (!rd.entries.empty()) steps.push_back(append_entries_step(rd.entries));
  const wire::HardState& disk_hs = mirror_.state().hard_state;
  if (rd.hard_state &&
      (rd.hard_state->term() != disk_hs.term() || rd.hard_state->vote() != disk_hs.vote())) {
    steps.push_back(replace_file_step(hard_state_file(), frame(*rd.hard_state)));
    steps.push_back([this, hs = *rd.hard_state](Done d) {
      Ready only;
      only.hard_state = hs;
      mirror_.persist(only);
      d(absl::OkStatus());
    });
  }
  run_steps(std::move(steps), 0, [this, done = std::move(done)](absl::Status st) {
    busy_ = false;
    done(st);
  });
}

void DiskStorage::write_local_snapshot(const wire::Snapshot& snapshot) {
  if (snapshot_writing_) {
    next_local_snapshot_ = snapshot;
    return;
  }
  snapshot_writing_ = true;
  // The mirror takes the snapshot once it is durable.
  auto kept = std::make_shared<wire::Snapshot>(snapshot);
  replace_atomically(disk_, snapshot_file(), Payload(frame(snapshot)),
                     [this, kept](absl::Status st) { local_snapshot_written(st, kept); });
}

void DiskStorage::local_snapshot_written(absl::Status st,
                                         std::shared_ptr<wire::Snapshot> snapshot) {
  snapshot_writing_ = false;
  if (!st.ok()) {
    // The files still hold the previous snapshot and the whole log: nothing is lost, but
    // a disk that fails writes must stop the node, as a failed persist() does.
    snapshot_error_ = st;
    next_local_snapshot_.reset();
  } else if (snapshot->metadata().index() > mirror_.state().snapshot.metadata().index()) {
    Ready only;
    only.snapshot = std::move(*snapshot);
    mirror_.persist(std::move(only));
    log_rewrite_due_ = true;
  }
  if (next_local_snapshot_) {
    wire::Snapshot next = std::move(*next_local_snapshot_);
    next_local_snapshot_.reset();
    return write_local_snapshot(next);
  }
  std::vector<Done> waiters = std::move(snapshot_waiters_);
  snapshot_waiters_.clear();
  for (Done& d : waiters) d(snapshot_error_);
}

DiskStorage::Step DiskStorage::wait_for_snapshot_writer_step() {
  return [this](Done d) {
    if (!snapshot_writing_) return d(absl::OkStatus());
    snapshot_waiters_.push_back(std::move(d));
  };
}

DiskStorage::Step DiskStorage::replace_file_step(const std::string& name, std::string bytes) {
  return [this, name, payload = Payload(std::move(bytes))](Done done) {
    replace_atomically(disk_, name, payload, std::move(done));
  };
}

DiskStorage::Step DiskStorage::rewrite_log_step() {
  return [this](Done done) {
    std::string bytes;
    for (const wire::Entry& e : mirror_.state().entries) append_frame(e, &bytes);
    replace_file_step(log_file(),
                      std::move(bytes))([this, done = std::move(done)](absl::Status st) {
      log_name_durable_ = st.ok();
      done(st);
    });
  };
}

DiskStorage::Step DiskStorage::append_entries_step(const std::vector<wire::Entry>& entries) {
  std::string bytes;
  for (const wire::Entry& e : entries) append_frame(e, &bytes);
  return [this, entries, bytes = std::move(bytes)](Done done) mutable {
    Ready only;
    only.entries = std::move(entries);
    mirror_.persist(std::move(only));
    // One Disk operation, not append then sync: each costs a trip to the disk's thread.
    disk_.append_sync(log_file(), bytes, [this, done = std::move(done)](absl::Status synced) {
      // The file may have just been created: its name is durable only after a dir sync.
      if (!synced.ok() || log_name_durable_) return done(synced);
      disk_.sync_dir([this, done = std::move(done)](absl::Status st) {
        log_name_durable_ = st.ok();
        done(st);
      });
    });
  };
}

}  // namespace cairn::raft
