// A single-producer / single-consumer byte ring in POSIX shared memory (shm_open + mmap),
// for frames between two processes (or two nodes of one process) on the same host.
//
// Layout: a header page whose producer index (head), consumer index (tail) and wake-up
// words each sit on their own cache line, then `capacity` data bytes (a power of two).
// Each side maps the data twice, back to back, so any run of up to `capacity` bytes is
// contiguous in memory even where it wraps around the ring's end: a frame can be read (and
// handed out) in place and written with one copy. head and tail count bytes ever written
// and released, so free space is capacity - (head - tail). The consumer may read ahead of
// tail (readable_at) and release later (release_to): bytes it still reads in place stay
// unwritten until released. A side that finds the ring empty (consumer) or full
// (producer) sleeps on a futex word with a timeout, and the other side wakes it only when
// it announced that it sleeps, so the fast path is two atomic loads and a store. Either
// side may close(); the other sees closed() and stops. The consumer may retire() the ring
// instead: the producer then stops writing and closes it. Segment names carry the
// creator's pid ("/cairn-<pid>-...") so sweep_dead_segments() can remove what a crashed
// process left behind. A mapping lives as long as its ShmRing object, whatever the other
// side does.
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
  // Producer: `size` contiguous bytes at the head to write in place, or an empty span when
  // fewer are free. Nothing of them is visible to the consumer until publish().
  // REQUIRES: size <= capacity.
  std::span<char> reserve(size_t size);
  // Producer: publishes the next `size` bytes (written through reserve()) at once: one
  // index store, at most one wake-up. REQUIRES: size <= free_bytes().
  void publish(size_t size);
  // Producer: bytes that can be written now.
  size_t free_bytes() const;
  // Producer: sleeps until at least min(`bytes`, capacity) are free, the ring closes or
  // `timeout_ms` passes.
  void wait_for_space(int timeout_ms, size_t bytes = 1);
  // Consumer: bytes released so far (the tail); everything before it may be overwritten.
  uint64_t read_index() const;
  // Bytes published so far (the head).
  uint64_t write_index() const;
  // Consumer: the bytes from absolute position `pos` to the head, contiguous in memory.
  // REQUIRES: read_index() <= pos <= the head.
  std::span<const char> readable_at(uint64_t pos) const;
  // Consumer: readable_at(read_index()).
  std::span<const char> readable() const;
  // Consumer: the producer may overwrite everything before absolute position `pos`.
  // REQUIRES: read_index() <= pos <= the head; one thread at a time.
  void release_to(uint64_t pos);
  void consume(size_t n);  // release_to(read_index() + n)
  // Consumer: sleeps until the head reaches `head_at_least`, the ring closes or
  // `timeout_ms` passes.
  void wait_for_data(int timeout_ms, uint64_t head_at_least);
  // Consumer: true while the producer sleeps for space.
  bool producer_waiting() const;
  // Consumer: asks the producer to stop writing (it then closes the ring); wakes it.
  void retire();
  bool retired() const;
  // True if `p` points into this side's mapping of the data.
  bool contains(const void* p) const;

  void close();
  bool closed() const;
  uint64_t capacity() const { return capacity_; }
  const std::string& name() const { return name_; }

 private:
  struct Header;
  ShmRing(std::string name, void* base, size_t mapped, uint64_t capacity);
  void wake_producer();

  std::string name_;
  void* base_;
  size_t mapped_;
  uint64_t capacity_;
  Header* header_;
  char* data_;
};

}  // namespace cairn::real
