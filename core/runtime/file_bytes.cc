#include "core/runtime/file_bytes.h"

#include <algorithm>

#include "core/base/assert.h"

namespace cairn {

FileBytes::FileBytes(const Payload& bytes) {
  append(bytes.view());
  append_virtual(bytes.virtual_bytes);
}

bool FileBytes::has_virtual() const {
  return std::any_of(runs_.begin(), runs_.end(), [](const Run& r) { return r.virtual_bytes > 0; });
}

void FileBytes::append(std::string_view real) {
  if (real.empty()) return;
  if (runs_.empty() || runs_.back().virtual_bytes > 0) runs_.emplace_back();
  runs_.back().real.append(real.data(), real.size());
  size_ += real.size();
}

void FileBytes::append_virtual(uint64_t length) { append_virtual_run(length, {}); }

void FileBytes::append_virtual_run(uint64_t length, const std::vector<uint64_t>& damaged) {
  if (length == 0) return;
  CAIRN_ASSERT(damaged.empty() || damaged.back() < length);
  if (runs_.empty() || runs_.back().virtual_bytes == 0) runs_.emplace_back();
  Run& run = runs_.back();
  for (uint64_t at : damaged) run.damaged.push_back(run.virtual_bytes + at);
  run.virtual_bytes += length;
  size_ += length;
}

void FileBytes::append_range(const FileBytes& other, uint64_t offset, uint64_t length) {
  CAIRN_ASSERT(offset <= other.size_ && length <= other.size_ - offset);
  uint64_t start = 0;  // of the current run in `other`
  for (const Run& run : other.runs_) {
    const uint64_t end = start + run.size();
    const uint64_t lo = std::max(start, offset);
    const uint64_t hi = std::min(end, offset + length);
    if (lo < hi && run.virtual_bytes == 0) {
      append(std::string_view(run.real).substr(lo - start, hi - lo));
    } else if (lo < hi) {
      std::vector<uint64_t> damaged;
      for (uint64_t at : run.damaged) {
        if (at >= lo - start && at < hi - start) damaged.push_back(at - (lo - start));
      }
      append_virtual_run(hi - lo, damaged);
    }
    start = end;
  }
}

bool FileBytes::starts_with(const FileBytes& prefix) const {
  if (prefix.size_ > size_ || prefix.runs_.size() > runs_.size()) return false;
  if (prefix.runs_.empty()) return true;
  const size_t last = prefix.runs_.size() - 1;
  for (size_t i = 0; i < last; ++i) {
    if (!(runs_[i] == prefix.runs_[i])) return false;
  }
  const Run& mine = runs_[last];
  const Run& theirs = prefix.runs_[last];
  if (theirs.virtual_bytes > 0) {
    if (mine.virtual_bytes < theirs.virtual_bytes) return false;
    std::vector<uint64_t> within;
    for (uint64_t at : mine.damaged) {
      if (at < theirs.virtual_bytes) within.push_back(at);
    }
    return within == theirs.damaged;
  }
  return mine.virtual_bytes == 0 && mine.real.compare(0, theirs.real.size(), theirs.real) == 0;
}

std::optional<std::string> FileBytes::real_range(uint64_t offset, uint64_t length) const {
  CAIRN_ASSERT(offset <= size_ && length <= size_ - offset);
  // The common case, a file of real bytes only: one run, one copy.
  if (runs_.size() == 1 && runs_[0].virtual_bytes == 0) return runs_[0].real.substr(offset, length);
  RangeBytes r = range(offset, length);
  if (r.bytes.virtual_bytes > 0) return std::nullopt;
  return std::string(r.bytes.view());
}

RangeBytes FileBytes::range(uint64_t offset, uint64_t length) const {
  CAIRN_ASSERT(offset <= size_ && length <= size_ - offset);
  std::string real;
  uint64_t virtual_bytes = 0;
  bool rotten = false;
  uint64_t start = 0;
  for (const Run& run : runs_) {
    const uint64_t end = start + run.size();
    const uint64_t lo = std::max(start, offset);
    const uint64_t hi = std::min(end, offset + length);
    if (lo < hi && run.virtual_bytes == 0) {
      real.append(run.real, lo - start, hi - lo);
    } else if (lo < hi) {
      virtual_bytes += hi - lo;
      for (uint64_t at : run.damaged) rotten = rotten || (at >= lo - start && at < hi - start);
    }
    start = end;
  }
  RangeBytes out;
  if (!real.empty()) out.bytes = Payload(std::move(real));
  out.bytes.virtual_bytes = virtual_bytes;
  out.rotten = rotten;
  CAIRN_ASSERT(out.bytes.size() == length);
  return out;
}

void FileBytes::damage(uint64_t offset, uint8_t mask) {
  CAIRN_ASSERT(offset < size_);
  CAIRN_ASSERT(mask != 0);
  uint64_t start = 0;
  for (Run& run : runs_) {
    if (offset >= start + run.size()) {
      start += run.size();
      continue;
    }
    const uint64_t at = offset - start;
    if (run.virtual_bytes == 0) {
      run.real[at] = static_cast<char>(static_cast<uint8_t>(run.real[at]) ^ mask);
    } else if (!std::binary_search(run.damaged.begin(), run.damaged.end(), at)) {
      run.damaged.insert(std::lower_bound(run.damaged.begin(), run.damaged.end(), at), at);
    }
    return check();
  }
  CAIRN_ASSERT(false);
}

void FileBytes::check() const {
  uint64_t total = 0;
  for (size_t i = 0; i < runs_.size(); ++i) {
    const Run& r = runs_[i];
    CAIRN_ASSERT(r.size() > 0);
    CAIRN_ASSERT(r.real.empty() || r.virtual_bytes == 0);
    CAIRN_ASSERT(r.damaged.empty() || r.damaged.back() < r.virtual_bytes);
    if (i > 0) CAIRN_ASSERT((runs_[i - 1].virtual_bytes == 0) != (r.virtual_bytes == 0));
    total += r.size();
  }
  CAIRN_ASSERT(total == size_);
}

}  // namespace cairn
