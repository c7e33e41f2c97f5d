// The real runtime's Disk: PosixFiles run one at a time on the worker pool, in the order
// issued, each completion posted back to the node's loop (core/runtime/disk.h's promises,
// with "durable" meaning fsync'd: it survives kill -9 and power loss).
#pragma once

#include <memory>
#include <string>

#include "core/runtime/disk.h"
#include "runtime-real/posix_files.h"

namespace cairn::real {

class AsioRuntime;

class FileDisk final : public Disk {
 public:
  // Creates `root` if it does not exist (errors surface on the first operation).
  FileDisk(AsioRuntime& rt, std::string root);

  void write(const std::string& name, std::string bytes, Done done) override;
  void append(const std::string& name, std::string bytes, Done done) override;
  void read(const std::string& name, ReadDone done) override;
  void sync(const std::string& name, Done done) override;
  void append_sync(const std::string& name, std::string bytes, Done done) override;
  void rename(const std::string& from, const std::string& to, Done done) override;
  void remove(const std::string& name, Done done) override;
  void sync_dir(Done done) override;
  void list(const std::string& prefix, ListDone done) override;

 private:
  template <typename Result, typename Op, typename Callback>
  void run(Op op, Callback done);

  AsioRuntime& rt_;
  // Touched only by the serial worker strand, one operation at a time.
  std::shared_ptr<PosixFiles> files_;
};

}  // namespace cairn::real
