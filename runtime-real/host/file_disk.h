// The real runtime's Disk: PosixFiles run on the disk's own I/O threads, several at once,
// each completion posted back to the node's loop (core/runtime/disk.h's promises, with
// "durable" meaning fsync'd: it survives kill -9 and power loss). Payloads are written
// from the memory they arrived in (the I/O thread holds a reference), never copied.
//
// Order: an operation starts as soon as no earlier-issued, unfinished one conflicts with
// it (disk_scheduler.h: same name and one of them changes it; list/list_dir against any
// change; sync_dir after every earlier change); otherwise it waits. So operations on one
// name take effect and complete in the order issued (a log's append_syncs stay in order),
// a list sees every change issued before it and none issued after, while operations on
// different names overlap. At most `threads` operations are in flight; the rest wait in
// issue order. The I/O threads are the disk's own, so blocking fsyncs never hold up
// Runtime::compute(); they start with the first operation.
//
// Slow I/O for fault tests (core/runtime/faulty_disk.h): set_added_latency() makes each
// operation sleep that long on its I/O thread before it runs, so every operation is that
// much slower and, with all threads busy, later ones wait, while the node's loop keeps
// running.
#pragma once

#include <memory>
#include <string>

#include "core/runtime/buffer_pool.h"
#include "core/runtime/disk.h"
#include "core/runtime/time.h"
#include "runtime-real/host/disk_scheduler.h"
#include "runtime-real/host/posix_files.h"

namespace boost::asio {
class thread_pool;
}

namespace cairn::real {

class AsioRuntime;

class FileDisk final : public Disk {
 public:
  // Creates `root` if it does not exist (errors surface on the first operation).
  // REQUIRES: threads >= 1.
  FileDisk(AsioRuntime& rt, std::string root, int threads = 8);
  ~FileDisk() override;

  using Disk::append;
  using Disk::append_sync;
  using Disk::write;
  void write(const std::string& name, Payload bytes, Done done) override;
  void append(const std::string& name, Payload bytes, Done done) override;
  void read(const std::string& name, ReadDone done) override;
  void read_range(const std::string& name, uint64_t offset, uint64_t length,
                  ReadDone done) override;
  // Ranges of kReuseFrom bytes or more are read into buffers reused once the Payloads
  // made from them are dropped (core/runtime/buffer_pool.h): a fresh buffer of a frame's
  // size is fresh memory, whose pages fault in on first touch.
  void read_payload(const std::string& name, uint64_t offset, uint64_t length,
                    PayloadDone done) override;
  void stat(const std::string& name, StatDone done) override;
  void sync(const std::string& name, Done done) override;
  void append_sync(const std::string& name, Payload bytes, Done done) override;
  void rename(const std::string& from, const std::string& to, Done done) override;
  void remove(const std::string& name, Done done) override;
  void sync_dir(Done done) override;
  void list(const std::string& prefix, ListDone done) override;
  void list_dir(const std::string& dir, DirDone done) override;
  void space(SpaceDone done) override;

  // Operations issued from now on wait `latency` on their I/O thread first. Loop thread
  // only.
  void set_added_latency(Duration latency);

  // The most operations that were ever in flight at once (for tests). Loop thread only.
  size_t max_in_flight() const { return scheduler_.max_running(); }

 private:
  using Kind = DiskScheduler::Kind;
  static constexpr uint64_t kReuseFrom = 64 << 10;
  static constexpr uint64_t kReuseBytesMax = 16 << 20;
  static constexpr size_t kReuseBuffersMax = 32;
  template <typename Result, typename Op, typename Callback>
  void run(Kind kind, std::vector<std::string> names, Op op, Callback done);

  AsioRuntime& rt_;
  const int threads_;
  // Used by the I/O threads; thread-safe for what the scheduler lets run together.
  std::shared_ptr<PosixFiles> files_;
  Duration added_latency_ = Duration(0);
  DiskScheduler scheduler_;                               // loop thread only
  BufferPool buffers_{kReuseBytesMax, kReuseBuffersMax};  // loop thread only
  std::unique_ptr<boost::asio::thread_pool> pool_;        // made by the first operation
};

}  // namespace cairn::real
