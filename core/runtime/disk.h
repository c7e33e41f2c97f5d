// A node's disk, with crash semantics: what was not synced may vanish.
//
// Files are named by relative paths ("raft/log", "membership/incarnation"); a name's parts
// before the last '/' are its directories, which exist while they hold a file. Operations
// are asynchronous: each completes later through its callback (never inline), on the
// node's own thread; their effects take place in the order issued. Durability rules, the
// same in cairn-sim and cairnd:
//   - a file's contents survive a crash only up to its last completed sync(name) or
//     append_sync(name);
//   - creations, renames and removals survive a crash only after a completed sync_dir();
//   - rename() replaces the target atomically (readers see old or new, never a mix).
// After a crash a file may hold its synced contents plus a torn or corrupted part of
// what was written after the sync (if the scenario asks for it), and a faulty disk may
// rot synced bytes (core/runtime/faulty_disk.h): readers must verify.
//
// Space: a write or append that does not fit fails with ResourceExhausted and changes
// nothing (the file keeps its previous contents; an append appends nothing).
//
// Large blobs: write them in bounded pieces, never whole. Issue append(name, piece) for
// each piece after the previous one completed (so one piece at a time is in memory), then
// sync(name); for an atomic replace, append to a temporary name and finish with
// rename() and sync_dir() (disk_util.h's append_pieces() and replace_atomically()).
// Read them back with read_range().
//
// Virtual bytes (a payload's length only, message.h): a simulated disk (MemDisk under
// cairn-sim and the manual runtime) stores them as a length, charges their full length in
// time and space, and gives them back through read_payload(); read() and read_range() of
// a range holding any are InvalidArgument. A disk of real bytes (cairnd's FileDisk)
// refuses them: write and append are InvalidArgument and store nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/runtime/message.h"

namespace cairn {

struct FileStat {
  uint64_t size_bytes = 0;
};

// Space of the whole disk. used_bytes + free_bytes <= capacity_bytes (a real file system
// keeps some blocks back for its own use).
struct DiskSpace {
  uint64_t capacity_bytes = 0;
  uint64_t free_bytes = 0;
  uint64_t used_bytes = 0;
};

// What read_payload() gives: the range's real bytes in order, its virtual bytes counted in
// bytes.virtual_bytes. A virtual byte cannot show a flipped bit, so a simulated disk says
// instead whether a fault damaged one of the range's virtual bytes (rotten); a reader
// treats that as it treats bytes that fail their checksum.
struct RangeBytes {
  Payload bytes;
  bool rotten = false;
};

// One entry of a directory listing.
struct DirEntry {
  std::string name;  // the entry's own name, without its directory
  bool is_dir = false;
  bool operator==(const DirEntry&) const = default;
};

class Disk {
 public:
  using Done = std::function<void(absl::Status)>;
  using ReadDone = std::function<void(absl::StatusOr<std::string>)>;
  using ListDone = std::function<void(absl::StatusOr<std::vector<std::string>>)>;
  using DirDone = std::function<void(absl::StatusOr<std::vector<DirEntry>>)>;
  using StatDone = std::function<void(absl::StatusOr<FileStat>)>;
  using SpaceDone = std::function<void(absl::StatusOr<DiskSpace>)>;
  using PayloadDone = std::function<void(absl::StatusOr<RangeBytes>)>;

  virtual ~Disk() = default;

  // Replaces the contents of `name`, creating it if needed. The disk stores the payload's
  // bytes without copying them first (it keeps a reference until done runs).
  // REQUIRES: bytes has no virtual part (virtual_bytes == 0), else InvalidArgument,
  // unless the disk is simulated (see above).
  virtual void write(const std::string& name, Payload bytes, Done done) = 0;
  void write(const std::string& name, std::string bytes, Done done) {
    write(name, Payload(std::move(bytes)), std::move(done));
  }
  // Appends to `name`, creating it if needed. Same payload rules as write().
  virtual void append(const std::string& name, Payload bytes, Done done) = 0;
  void append(const std::string& name, std::string bytes, Done done) {
    append(name, Payload(std::move(bytes)), std::move(done));
  }
  // Whole contents; NotFound if there is no such file.
  virtual void read(const std::string& name, ReadDone done) = 0;
  // The `length` bytes at `offset`. The range must lie within the file: it is OutOfRange
  // if offset + length > size (so an offset past the end, and a range running over the
  // end, are errors, never short reads); an empty range (length 0) anywhere up to and
  // including offset == size gives "". NotFound if there is no such file.
  virtual void read_range(const std::string& name, uint64_t offset, uint64_t length,
                          ReadDone done) = 0;
  // read_range() for a range that may hold virtual bytes. Same errors as read_range().
  // By default read_range() wrapped (a disk of real bytes has nothing else to give).
  virtual void read_payload(const std::string& name, uint64_t offset, uint64_t length,
                            PayloadDone done) {
    read_range(name, offset, length, [done = std::move(done)](absl::StatusOr<std::string> r) {
      if (!r.ok()) return done(r.status());
      done(RangeBytes{.bytes = Payload(std::move(*r))});
    });
  }
  // The file's current size (synced or not); NotFound if there is no such file.
  virtual void stat(const std::string& name, StatDone done) = 0;
  // Makes the current contents of `name` durable.
  virtual void sync(const std::string& name, Done done) = 0;
  // append() then sync() as one operation (a write-ahead log's append): `done` runs only
  // once the sync completed, and a crash before then may keep any prefix of `bytes`.
  // By default exactly that chain; a disk that can do both in one trip overrides it.
  virtual void append_sync(const std::string& name, Payload bytes, Done done) {
    append(name, std::move(bytes), [this, name, done = std::move(done)](absl::Status st) mutable {
      if (!st.ok()) return done(st);
      sync(name, std::move(done));
    });
  }
  void append_sync(const std::string& name, std::string bytes, Done done) {
    append_sync(name, Payload(std::move(bytes)), std::move(done));
  }
  // Atomically replaces `to` with `from`. NotFound if `from` does not exist.
  virtual void rename(const std::string& from, const std::string& to, Done done) = 0;
  virtual void remove(const std::string& name, Done done) = 0;
  // Makes creations, renames and removals durable.
  virtual void sync_dir(Done done) = 0;
  // Names of existing files starting with `prefix`, sorted.
  virtual void list(const std::string& prefix, ListDone done) = 0;
  // One level of directory `dir` ("" is the root): its files and subdirectories, sorted
  // by name. A directory that holds nothing lists as empty, whether or not it exists.
  virtual void list_dir(const std::string& dir, DirDone done) = 0;
  // Capacity, free and used bytes of the whole disk.
  virtual void space(SpaceDone done) = 0;
};

}  // namespace cairn
