// The real runtime's Disk: PosixFiles run one at a time on the worker pool, in the order
// issued, each completion posted back to the node's loop (core/runtime/disk.h's promises,
// with "durable" meaning fsync'd: it survives kill -9 and power loss). Payloads are
// written from the memory they arrived in (the worker holds a reference), never copied.
//
// Slow I/O for fault tests (core/runtime/faulty_disk.h): set_added_latency() makes the
// worker sleep that long before each operation, so the disk is slow and everything
// queued behind it waits, while the node's loop keeps running.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "core/runtime/disk.h"
#include "core/runtime/time.h"
#include "runtime-real/host/posix_files.h"

namespace cairn::real {

class AsioRuntime;

class FileDisk final : public Disk {
 public:
  // Creates `root` if it does not exist (errors surface on the first operation).
  FileDisk(AsioRuntime& rt, std::string root);

  using Disk::append;
  using Disk::append_sync;
  using Disk::write;
  void write(const std::string& name, Payload bytes, Done done) override;
  void append(const std::string& name, Payload bytes, Done done) override;
  void read(const std::string& name, ReadDone done) override;
  void read_range(const std::string& name, uint64_t offset, uint64_t length,
                  ReadDone done) override;
  void stat(const std::string& name, StatDone done) override;
  void sync(const std::string& name, Done done) override;
  void append_sync(const std::string& name, Payload bytes, Done done) override;
  void rename(const std::string& from, const std::string& to, Done done) override;
  void remove(const std::string& name, Done done) override;
  void sync_dir(Done done) override;
  void list(const std::string& prefix, ListDone done) override;
  void list_dir(const std::string& dir, DirDone done) override;
  void space(SpaceDone done) override;

  // Operations issued from now on wait `latency` on the worker first. Loop thread only.
  void set_added_latency(Duration latency);

 private:
  template <typename Result, typename Op, typename Callback>
  void run(Op op, Callback done);

  AsioRuntime& rt_;
  // Touched only by the serial worker strand, one operation at a time.
  std::shared_ptr<PosixFiles> files_;
  Duration added_latency_ = Duration(0);
};

}  // namespace cairn::real
