// A node's disk, with crash semantics: what was not synced may vanish.
//
// Files are named by relative paths ("raft/log", "membership/incarnation"). Operations
// are asynchronous: each completes later through its callback, on the node's own thread,
// in the order issued. Durability rules, the same in cairn-sim and cairnd:
//   - a file's contents survive a crash only up to its last completed sync(name) or
//     append_sync(name);
//   - creations, renames and removals survive a crash only after a completed sync_dir();
//   - rename() replaces the target atomically (readers see old or new, never a mix).
// After a crash a file may hold its synced contents plus a torn or corrupted part of
// what was written after the sync (if the scenario asks for it): readers must verify.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cairn {

class Disk {
 public:
  using Done = std::function<void(absl::Status)>;
  using ReadDone = std::function<void(absl::StatusOr<std::string>)>;
  using ListDone = std::function<void(absl::StatusOr<std::vector<std::string>>)>;

  virtual ~Disk() = default;

  // Replaces the contents of `name`, creating it if needed.
  virtual void write(const std::string& name, std::string bytes, Done done) = 0;
  // Appends to `name`, creating it if needed.
  virtual void append(const std::string& name, std::string bytes, Done done) = 0;
  // Whole contents; NotFound if there is no such file.
  virtual void read(const std::string& name, ReadDone done) = 0;
  // Makes the current contents of `name` durable.
  virtual void sync(const std::string& name, Done done) = 0;
  // append() then sync() as one operation (a write-ahead log's append): `done` runs only
  // once the sync completed, and a crash before then may keep any prefix of `bytes`.
  // By default exactly that chain; a disk that can do both in one trip overrides it.
  virtual void append_sync(const std::string& name, std::string bytes, Done done) {
    append(name, std::move(bytes), [this, name, done = std::move(done)](absl::Status st) mutable {
      if (!st.ok()) return done(st);
      sync(name, std::move(done));
    });
  }
  // Atomically replaces `to` with `from`. NotFound if `from` does not exist.
  virtual void rename(const std::string& from, const std::string& to, Done done) = 0;
  virtual void remove(const std::string& name, Done done) = 0;
  // Makes creations, renames and removals durable.
  virtual void sync_dir(Done done) = 0;
  // Names of existing files starting with `prefix`, sorted.
  virtual void list(const std::string& prefix, ListDone done) = 0;
};

}  // namespace cairn
