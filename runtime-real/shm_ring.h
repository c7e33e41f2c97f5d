// A single-producer / single-consumer byte ring in POSIX shared memory (shm_open + mmap),
// for frames between two processes (or two nodes of one process) on the same host.
//
// Layout: a header page whose producer index (head), consumer index (tail) and wake-up
// words each sit on their own cache line, then `capacity` data bytes (a power of two).
// head and tail count bytes ever written and read, so free space is capacity - (head -
// tail). A side that finds the ring empty (consumer) or full (producer) sleeps on a futex
// word with a timeout, and the other side wakes it only when it announced that it sleeps,
// so the fast path is two atomic loads and a store. Nothing here zero-fills or copies
// twice: the producer copies bytes in once, the consumer reads them in place. Either side may
// close(); the other sees closed() and stops. Segment names carry the creator's pid
// ("/cairn-<pid>-...") so sweep_dead_segments() can remove what a crashed process left behind.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cairn::real {

class ShmRing {
 public:
  ~ShmRing();
  ShmRing(const ShmRing&) = delete;
  ShmRing& operator=(const ShmRing&) = delete;

  // Creates segment `name` (must start with "/cairn-<this pid>-"). REQUIRES: capacity is a
  // power of two >= 4096. AlreadyExists, ResourceExhausted (no /dev/shm space), Internal.
  static absl::StatusOr<std::unique_ptr<ShmRing>> create(const std::string& name,
                                                         uint64_t capacity);
  // Maps an existing segment and checks its header. NotFound, InvalidArgument (not a ring).
  static absl::StatusOr<std::unique_ptr<ShmRing>> open(const std::string& name);
  static void unlink(const std::string& name);
  // A name for a new ring from `from` to `to`, unique within this process.
  static std::string make_name(uint32_t from, uint32_t to);
  // Unlinks /dev/shm/cairn-<pid>-* of processes that no longer exist; returns how many.
  static int sweep_dead_segments();

  // Producer: copies up to `size` bytes in, returns how many fit (0 when full).
  size_t write_some(const char* data, size_t size);
  // Producer: copies the bytes of `pieces` after the first `skip` of them, as many as fit,
  // and publishes them to the consumer at once (one index store, at most one wake-up).
  // Returns how many it wrote (0 when full). This is how a frame's header, protobuf
  // header and payload go in with one copy each.
  size_t write_gather(std::span<const std::string_view> pieces, size_t skip);
  // Producer: bytes that can be written now.
  size_t free_bytes() const;
  // Producer: sleeps until at least min(`bytes`, capacity) are free, the ring closes or
  // `timeout_ms` passes.
  void wait_for_space(int timeout_ms, size_t bytes = 1);
  // Consumer: the readable bytes that are contiguous in memory (maybe not all of them).
  std::span<const char> readable() const;
  void consume(size_t n);
  // Consumer: sleeps until there are bytes, the ring closes or `timeout_ms` passes.
  void wait_for_data(int timeout_ms);

  void close();
  bool closed() const;
  uint64_t capacity() const { return capacity_; }
  const std::string& name() const { return name_; }

 private:
  struct Header;
  ShmRing(std::string name, void* base, size_t mapped, uint64_t capacity);

  std::string name_;
  void* base_;
  size_t mapped_;
  uint64_t capacity_;
  Header* header_;
  char* data_;
};

}  // namespace cairn::real
