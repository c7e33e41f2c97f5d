// An in-memory file system with the crash semantics of core/runtime/disk.h.
//
// It is the model behind the simulated Disk (runtime-sim adds timing) and the manual
// runtime used in unit tests. Names map to inodes as in POSIX: a file's data is durable
// up to its last sync(), a name only after sync_dir(). crash() throws away everything
// else, optionally leaving a torn or corrupted tail of unsynced appends, as real disks do.
//
// Space: the disk holds at most capacity() bytes (unlimited unless set). Used bytes are
// the current contents of every file, counting a removed or replaced file until its
// removal is durable (sync_dir), since a crash before then brings it back. A write or
// append that would pass the capacity fails with ResourceExhausted and changes nothing.
// Directories exist only as parts of file names (there are no empty directories).
//
// Virtual bytes (file_bytes.h): write() and append() of a Payload keep its virtual bytes
// as a length, counted in size and space like real ones; read_payload() gives them back.
// read() and read_range() of a range holding any are InvalidArgument. Bit rot and torn
// writes that hit a virtual byte record the damage, and read_payload() reports it.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/runtime/disk.h"
#include "core/runtime/file_bytes.h"
#include "core/runtime/rng.h"

namespace cairn {

struct CrashDamage {
  // Probability, per file with unsynced appended bytes, that a random prefix of them
  // survives the crash (a torn write) instead of none.
  double torn_write_probability = 0;
  // Probability, per surviving torn tail, that one of its bytes is flipped.
  double corrupt_probability = 0;
};

// One bit flipped at rest by MemDisk::rot().
struct RotReport {
  std::string name;
  uint64_t offset = 0;
  int bit = 0;
  bool operator==(const RotReport&) const = default;
};

class MemDisk {
 public:
  static constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

  absl::Status write(const std::string& name, std::string_view bytes);
  absl::Status append(const std::string& name, std::string_view bytes);
  // A payload's real bytes, then its virtual bytes.
  absl::Status write(const std::string& name, const Payload& bytes);
  absl::Status append(const std::string& name, const Payload& bytes);
  absl::StatusOr<std::string> read(const std::string& name) const;
  // disk.h's contract: OutOfRange unless offset + length <= size.
  absl::StatusOr<std::string> read_range(const std::string& name, uint64_t offset,
                                         uint64_t length) const;
  // Any range, virtual bytes included. Same errors as read_range() but InvalidArgument.
  absl::StatusOr<RangeBytes> read_payload(const std::string& name, uint64_t offset,
                                          uint64_t length) const;
  absl::StatusOr<FileStat> stat(const std::string& name) const;
  absl::Status sync(const std::string& name);
  // append() then sync(); nothing is appended if the name is bad or the bytes do not fit.
  absl::Status append_sync(const std::string& name, std::string_view bytes);
  absl::Status append_sync(const std::string& name, const Payload& bytes);
  absl::Status rename(const std::string& from, const std::string& to);
  absl::Status remove(const std::string& name);
  void sync_dir();
  std::vector<std::string> list(const std::string& prefix) const;
  absl::StatusOr<std::vector<DirEntry>> list_dir(const std::string& dir) const;
  DiskSpace space() const;

  // REQUIRES: capacity_bytes > 0. A capacity below the bytes used now fails every write
  // that grows the disk, and nothing else.
  void set_capacity(uint64_t capacity_bytes);
  uint64_t capacity() const { return capacity_bytes_; }

  // Loses what was not durable. Uses `rng` only when `damage` asks for torn writes.
  void crash(Rng& rng, const CrashDamage& damage);
  // Bit rot: flips one bit of the synced contents of up to `files` files (distinct,
  // chosen by `rng` among the files whose name is durable and whose synced contents are
  // not empty), in the durable copy and in the current contents alike, as a decayed
  // sector reads. Returns what it flipped, sorted by name.
  std::vector<RotReport> rot(Rng& rng, uint64_t files);
  uint64_t bytes_stored() const { return used_bytes_; }
  void check_invariants() const;

 private:
  struct Inode {
    FileBytes data;
    FileBytes durable;
    uint32_t links = 0;          // names_ entries naming it
    uint32_t durable_links = 0;  // durable_names_ entries naming it
  };
  // Drops one of the inode's names (`count`: links or durable_links); an inode left with
  // none becomes a candidate for collect_garbage().
  void unlink(uint64_t ino, uint32_t Inode::*count);
  // Writes (or appends) `real` then `virtual_bytes` of length only.
  absl::Status store(const std::string& name, std::string_view real, uint64_t virtual_bytes,
                     bool append);
  // The inode of `name` if the range lies within it: NotFound, OutOfRange otherwise.
  absl::StatusOr<const FileBytes*> range_of(const std::string& name, uint64_t offset,
                                            uint64_t length) const;
  uint64_t inode_for_write(const std::string& name);
  // Frees the candidate inodes that no name, current or durable, reaches.
  void collect_garbage();
  absl::Status check_fits(const std::string& name, uint64_t new_size) const;
  static absl::Status check_name(const std::string& name);

  std::map<std::string, uint64_t> names_;
  std::map<std::string, uint64_t> durable_names_;
  // Names created, renamed or removed since the last sync_dir(): where the two maps differ.
  std::set<std::string> dirty_names_;
  std::set<uint64_t> maybe_garbage_;
  std::map<uint64_t, Inode> inodes_;
  uint64_t next_inode_ = 1;
  uint64_t capacity_bytes_ = kUnlimited;
  uint64_t used_bytes_ = 0;  // sum of inodes_[*].data.size()
};

}  // namespace cairn
