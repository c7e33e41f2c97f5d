// Raft's durable state on a node's Disk (core/raft): the Storage a RaftService runs on.
//
// Three files under `dir`: `log` (entry records; each batch one append_sync), `hard_state` and
// `snapshot` (each replaced whole: written to a .tmp file, synced, renamed over the old
// one, directory synced). Every record carries a length and a CRC32C. The log is
// append-only: a record with index i replaces every stored entry from i on, so the log
// is never truncated in place; it is rewritten (tmp, sync, rename) only after a snapshot
// and after recovery found a bad tail.
//
// Promises:
//   - persist() applies a Ready's durable part in the order MemoryStorage::persist does
//     (snapshot, then entries, then hard state) and calls `done` only once all of it is
//     synced, so the driver may then send the Ready's messages.
//   - recover() never hands Raft garbage: the log is read record by record up to the first
//     torn or corrupt one, which is cut off (and the file rewritten clean). A corrupt hard
//     state or snapshot (written atomically, so never torn) is DataLoss.
//   - A local compaction's snapshot (a Ready whose snapshot is not from the leader) is
//     written beside the pipeline: persist() does not wait for it, because the log still
//     holds every entry the snapshot covers. Once it is durable, the next persist() first
//     rewrites the log without the covered entries. A snapshot from the leader is written
//     inside persist() (the follower must not acknowledge it before it is durable), after
//     any local one still being written, which it supersedes.
//   - The commit index is persisted whenever term or vote change, not on every advance:
//     commit is volatile state in Raft (paper, Figure 2) and a restarted node learns it
//     again from the leader. This saves a sync per batch.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/raft/storage.h"
#include "core/runtime/disk.h"

namespace cairn::raft {

// What recover() found, for logs, events and tests.
struct RecoveryReport {
  uint64_t log_records = 0;    // good records read
  uint64_t dropped_bytes = 0;  // bytes of a torn or corrupt log tail that were cut off
  bool rewrote_log = false;    // the log file was rewritten clean
  uint64_t first_index = 0;    // first log entry kept (0: none)
  uint64_t last_index = 0;     // last log entry kept (snapshot index if none)
  uint64_t snapshot_index = 0;
};

class DiskStorage final : public Storage {
 public:
  using Done = std::function<void(absl::Status)>;

  // `dir` is a relative path prefix on `disk`, e.g. "raft". `disk` must outlive this.
  DiskStorage(Disk& disk, std::string dir);

  // Reads the files back into memory. Call once, before load() or persist().
  void recover(Done done);
  // The recovered state plus everything persisted since. REQUIRES: recover() succeeded.
  absl::StatusOr<PersistentState> load() const override;

  // Makes the durable part of `ready` durable; `done` runs after the last sync.
  // REQUIRES: recovered, and no other persist() in flight (one Ready at a time).
  void persist(const Ready& ready, Done done);
  bool busy() const { return busy_; }
  // True while a local snapshot is being written beside the pipeline.
  bool writing_snapshot() const { return snapshot_writing_; }

  // True if `ready` has anything persist() would write (else the driver may skip it).
  bool needs_write(const Ready& ready) const;

  const PersistentState& state() const { return mirror_.state(); }
  const RecoveryReport& report() const { return report_; }

  // Record framing, shared with tests: [u32 length][u32 crc32c][payload], little-endian.
  static std::string frame(const std::string& payload);
  // The same record of a serialized message, without a copy of the serialized bytes.
  static std::string frame(const google::protobuf::MessageLite& message);
  static void append_frame(const google::protobuf::MessageLite& message, std::string* out);
  // Splits `bytes` into payloads up to the first bad record; *good_bytes is the length of
  // the good prefix.
  static std::vector<std::string> unframe(const std::string& bytes, uint64_t* good_bytes);

  std::string log_file() const { return dir_ + "/log"; }
  std::string hard_state_file() const { return dir_ + "/hard_state"; }
  std::string snapshot_file() const { return dir_ + "/snapshot"; }

 private:
  using Step = std::function<void(Done)>;
  static void run_steps(std::vector<Step> steps, size_t i, Done done);

  void read_hard_state(Done done);
  void read_snapshot(Done done);
  void read_log(Done done);
  // Replays log records (a record at index i replaces entries from i on) and fits them
  // to the snapshot; sets the mirror. DataLoss if the log cannot fit.
  absl::Status rebuild(const std::vector<wire::Entry>& records);
  // write tmp, sync tmp, rename over `name`, sync the directory.
  Step replace_file_step(const std::string& name, std::string bytes);
  Step rewrite_log_step();
  Step append_entries_step(const std::vector<wire::Entry>& entries);
  // Starts writing a local snapshot beside the pipeline (or queues it behind the one
  // being written, the newest winning).
  void write_local_snapshot(const wire::Snapshot& snapshot);
  void local_snapshot_written(absl::Status st, std::shared_ptr<wire::Snapshot> snapshot);
  // Waits until no local snapshot is being written (a snapshot from the leader must land
  // after it).
  Step wait_for_snapshot_writer_step();

  Disk& disk_;
  std::string dir_;
  MemoryStorage mirror_;  // what the files hold, as Raft would load it
  wire::HardState hard_state_on_disk_;
  wire::Snapshot recovered_snapshot_;
  RecoveryReport report_;
  bool recovered_ = false;
  bool busy_ = false;
  bool log_name_durable_ = false;  // the log file's name survived a dir sync
  bool snapshot_writing_ = false;
  std::optional<wire::Snapshot> next_local_snapshot_;  // waits for the one being written
  std::vector<Done> snapshot_waiters_;
  bool log_rewrite_due_ = false;  // a local snapshot became durable: the log can shrink
  absl::Status snapshot_error_;   // a failed background write, reported by the next persist
};

}  // namespace cairn::raft
