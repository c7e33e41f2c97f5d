// An in-memory file system with the crash semantics of core/runtime/disk.h.
//
// It is the model behind the simulated Disk (runtime-sim adds timing) and the manual
// runtime used in unit tests. Names map to inodes as in POSIX: a file's data is durable
// up to its last sync(), a name only after sync_dir(). crash() throws away everything
// else, optionally leaving a torn or corrupted tail of unsynced appends, as real disks do.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/runtime/rng.h"

namespace cairn {

struct CrashDamage {
  // Probability, per file with unsynced appended bytes, that a random prefix of them
  // survives the crash (a torn write) instead of none.
  double torn_write_probability = 0;
  // Probability, per surviving torn tail, that one of its bytes is flipped.
  double corrupt_probability = 0;
};

class MemDisk {
 public:
  absl::Status write(const std::string& name, std::string bytes);
  absl::Status append(const std::string& name, const std::string& bytes);
  absl::StatusOr<std::string> read(const std::string& name) const;
  absl::Status sync(const std::string& name);
  // append() then sync(); nothing is appended if the name is bad.
  absl::Status append_sync(const std::string& name, const std::string& bytes);
  absl::Status rename(const std::string& from, const std::string& to);
  absl::Status remove(const std::string& name);
  void sync_dir();
  std::vector<std::string> list(const std::string& prefix) const;

  // Loses what was not durable. Uses `rng` only when `damage` asks for torn writes.
  void crash(Rng& rng, const CrashDamage& damage);
  uint64_t bytes_stored() const;
  void check_invariants() const;

 private:
  struct Inode {
    std::string data;
    std::string durable;
  };
  uint64_t inode_for_write(const std::string& name);
  static absl::Status check_name(const std::string& name);

  std::map<std::string, uint64_t> names_;
  std::map<std::string, uint64_t> durable_names_;
  std::map<uint64_t, Inode> inodes_;
  uint64_t next_inode_ = 1;
};

}  // namespace cairn
