// The contents of one file of the in-memory disk (mem_disk.h): real bytes and, in
// simulation, bytes that exist only as a length (a virtual payload, message.h).
//
// Promises: the contents are a sequence of runs, each wholly real or wholly virtual, with
// adjacent runs of one kind merged, so equal contents have equal runs and a file of real
// bytes only is one string. A virtual run holds no bytes, only its length, so a terabyte
// of it costs a few words. A virtual byte cannot show a flipped bit: damage to it (bit
// rot, a corrupted torn write) is recorded as the offset damaged, and a read of a range
// holding such an offset says so (RangeBytes::rotten), the way a real read returns the
// flipped bits for a checksum to catch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/runtime/disk.h"

namespace cairn {

class FileBytes {
 public:
  FileBytes() = default;
  explicit FileBytes(std::string_view real) { append(real); }
  // A payload's real bytes, then its virtual ones.
  explicit FileBytes(const Payload& bytes);

  uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool has_virtual() const;

  void append(std::string_view real);
  void append_virtual(uint64_t length);
  // Appends the bytes of `other` in [offset, offset + length).
  // REQUIRES: the range lies within other.
  void append_range(const FileBytes& other, uint64_t offset, uint64_t length);

  bool starts_with(const FileBytes& prefix) const;

  // The real bytes of [offset, offset + length), or nullopt if any of them is virtual.
  // REQUIRES: the range lies within the contents.
  std::optional<std::string> real_range(uint64_t offset, uint64_t length) const;
  // The range as a payload: its real bytes in order, its virtual ones counted in
  // virtual_bytes; rotten if a virtual byte of it was damaged.
  // REQUIRES: the range lies within the contents.
  RangeBytes range(uint64_t offset, uint64_t length) const;

  // Flips the bits of `mask` in the byte at `offset` (a virtual byte records the damage).
  // REQUIRES: offset < size(), mask != 0.
  void damage(uint64_t offset, uint8_t mask);

  bool operator==(const FileBytes&) const = default;

 private:
  struct Run {
    std::string real;               // a real run's bytes (empty for a virtual run)
    uint64_t virtual_bytes = 0;     // a virtual run's length (0 for a real run)
    std::vector<uint64_t> damaged;  // offsets in a virtual run that were damaged, sorted
    uint64_t size() const { return real.size() + virtual_bytes; }
    bool operator==(const Run&) const = default;
  };
  // Appends a virtual run of `length` whose damaged offsets are `damaged` (sorted).
  void append_virtual_run(uint64_t length, const std::vector<uint64_t>& damaged);
  void check() const;

  std::vector<Run> runs_;
  uint64_t size_ = 0;
};

}  // namespace cairn
