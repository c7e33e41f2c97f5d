// Which of a node's disk operations may run at once (FileDisk's scheduler), keeping
// core/runtime/disk.h's promise that effects take place in the order issued.
//
// Each operation says what it touches: a read of one name, a change of one or two names
// (write, append, sync, remove; rename's two), a read of every name (list, list_dir), a
// sync_dir (makes every earlier change durable), or nothing (space). An operation starts
// once no earlier-issued, unfinished operation conflicts with it:
//   - a read and a change of the same name, or two changes of it;
//   - a read of every name and any change (whichever came first);
//   - a sync_dir and any change issued before it (later changes need not wait for it).
// Among operations free to start, the earliest issued starts first, and at most `limit`
// run at once. Conflicting operations therefore run, and finish, in issue order.
//
// Bookkeeping is per name: a change waits for the name's last unfinished change and the
// reads issued since; a read waits for the last change only (earlier ones finish first).
// Single-threaded: the owner calls issue() and finish() from one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace cairn::real {

class DiskScheduler {
 public:
  enum class Kind {
    kRead,     // reads its names
    kChange,   // changes its names
    kReadAll,  // reads every name (list, list_dir)
    kSyncDir,  // after every earlier change
    kFree,     // touches no name (space)
  };
  using OpId = uint64_t;
  // Starts the operation (hands it to a thread); the owner calls finish(id) once it is
  // done. Must not call finish() before it returns.
  using Start = std::function<void(OpId id)>;

  // REQUIRES: limit >= 1.
  explicit DiskScheduler(size_t limit);
  ~DiskScheduler();
  DiskScheduler(const DiskScheduler&) = delete;
  DiskScheduler& operator=(const DiskScheduler&) = delete;

  // Records the operation; `start` runs now or from a later finish(). REQUIRES: kRead and
  // kChange name at least one name, the other kinds none.
  OpId issue(Kind kind, std::vector<std::string> names, Start start);
  // The operation started earlier is done; starts whatever that frees.
  void finish(OpId id);

  size_t running() const { return running_; }
  size_t waiting() const { return ops_.size() - running_; }
  // The most operations that ever ran at once.
  size_t max_running() const { return max_running_; }

 private:
  struct Op;
  struct NameState {
    Op* last_change = nullptr;  // unfinished
    std::vector<Op*> reads;     // unfinished, issued after last_change
  };
  // `op` waits for `before` to finish (nothing if before is null).
  static void after(Op* op, Op* before);
  void start_ready();

  const size_t limit_;
  OpId next_id_ = 1;
  size_t running_ = 0;
  size_t max_running_ = 0;
  absl::flat_hash_map<OpId, std::unique_ptr<Op>> ops_;  // issued, unfinished
  absl::flat_hash_map<std::string, NameState> names_;   // names with unfinished ops
  absl::flat_hash_set<Op*> changes_;                    // unfinished kChange ops
  absl::flat_hash_set<Op*> read_alls_;                  // unfinished kReadAll ops
  std::map<OpId, Op*> ready_;                           // free to start, not started
};

}  // namespace cairn::real
