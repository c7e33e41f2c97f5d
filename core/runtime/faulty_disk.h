// A Disk decorator that injects disk faults, for tests of real nodes and for cairn-sim.
//
// FaultyDisk wraps any Disk (the simulator's, the manual runtime's MemDisk, or cairnd's
// FileDisk) and applies the faults of a DiskFaults value through the same Disk calls, so
// core code sees them exactly as it would see a failing device. Every decision is drawn
// from the Rng the owner passes in, in the order operations are issued: the same
// operations with the same seed inject the same faults. An injected fault never touches
// anything but what its kind says (documented per field below); with every field at its
// default the wrapper forwards each call unchanged and draws nothing.
//
// Injected errors still complete asynchronously and in order: the wrapper finishes them
// through a cheap call to the wrapped disk (space()), never inline.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/runtime/disk.h"
#include "core/runtime/log.h"
#include "core/runtime/mem_disk.h"
#include "core/runtime/rng.h"
#include "core/runtime/time.h"

namespace cairn {

struct DiskFaults {
  // Per read(), read_range() or read_payload(): the read fails with DataLoss, as a sector that
  // cannot be read (EIO) would. The file is untouched; later reads may succeed.
  double read_error_probability = 0;
  // Per write(), append() or append_sync(): the call reports success but the bytes are
  // dropped (the file keeps its contents; append_sync still syncs what was there).
  double lost_write_probability = 0;
  // Per write(), append() or append_sync(): the bytes land in another file instead,
  // chosen among the files this wrapper has seen, replacing its contents for a write()
  // and at its end for an append; the named file is untouched and the call reports
  // success. With no other file known, the bytes are dropped.
  double misdirected_write_probability = 0;
  // Full disk: every write or append of at least one byte fails with ResourceExhausted
  // and changes nothing; space() reports no free bytes. Reads, renames and removals work.
  bool full = false;
  // Slow I/O: every operation of the wrapped disk takes this much longer (FileDisk: a
  // sleep on its worker before the operation, never on the node's loop; cairn-sim:
  // simulated time on the disk's worker). Needs the owner's hook (see Hooks).
  Duration added_latency = Duration(0);

  bool operator==(const DiskFaults&) const = default;
};

class FaultyDisk final : public Disk {
 public:
  struct Hooks {
    // Makes the wrapped disk's operations take `latency` longer (DiskFaults::
    // added_latency); null: setting a positive added_latency is a programming error.
    std::function<void(Duration latency)> set_added_latency;
    // Told of every injected fault ("disk_read_error", "disk_lost_write",
    // "disk_misdirected_write", "disk_full", "disk_rot") with its file: the trace.
    std::function<void(Event)> on_fault;
  };
  // REQUIRES: `inner` outlives this wrapper.
  FaultyDisk(Disk& inner, Rng rng, Hooks hooks);
  FaultyDisk(Disk& inner, Rng rng) : FaultyDisk(inner, rng, Hooks{}) {}

  void set_faults(const DiskFaults& faults);
  const DiskFaults& faults() const { return faults_; }
  // Faults injected so far, by event kind.
  uint64_t injected(const std::string& kind) const;

  // Bit rot through the wrapped disk: flips one bit of each of up to `files` non-empty
  // files (chosen by the Rng among list(prefix)), by reading the file, flipping the bit
  // and writing it back in place, then syncing it. Meant for files at rest (synced):
  // it also makes the file's unsynced bytes durable. `done` gets what was flipped.
  void rot(const std::string& prefix, uint64_t files,
           std::function<void(absl::StatusOr<std::vector<RotReport>>)> done);

  // Disk.
  using Disk::append;
  using Disk::append_sync;
  using Disk::write;
  void write(const std::string& name, Payload bytes, Done done) override;
  void append(const std::string& name, Payload bytes, Done done) override;
  void append_sync(const std::string& name, Payload bytes, Done done) override;
  void read(const std::string& name, ReadDone done) override;
  void read_range(const std::string& name, uint64_t offset, uint64_t length,
                  ReadDone done) override;
  void read_payload(const std::string& name, uint64_t offset, uint64_t length,
                    PayloadDone done) override;
  void stat(const std::string& name, StatDone done) override;
  void sync(const std::string& name, Done done) override;
  void rename(const std::string& from, const std::string& to, Done done) override;
  void remove(const std::string& name, Done done) override;
  void sync_dir(Done done) override;
  void list(const std::string& prefix, ListDone done) override;
  void list_dir(const std::string& dir, DirDone done) override;
  void space(SpaceDone done) override;

 private:
  enum class WriteFate { kStore, kFull, kLost, kMisdirect };
  // Draws what happens to a write of `bytes` to `name` (and, when misdirected, where).
  WriteFate decide_write(const std::string& name, const Payload& bytes, std::string* victim);
  // Reports `status` through `done` after a cheap call to the wrapped disk.
  void complete_later(Done done, absl::Status status);
  void report(const std::string& kind, const std::string& name, const std::string& detail);
  ReadDone maybe_fail_read(const std::string& name, ReadDone done);
  void rot_next(std::vector<std::string> candidates, uint64_t files,
                std::vector<RotReport> done_so_far,
                std::function<void(absl::StatusOr<std::vector<RotReport>>)> done);

  Disk& inner_;
  Rng rng_;
  Hooks hooks_;
  DiskFaults faults_;
  std::set<std::string> known_;  // files seen through this wrapper (misdirection targets)
  std::map<std::string, uint64_t> injected_;
};

}  // namespace cairn
