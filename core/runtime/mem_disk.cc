#include "core/runtime/mem_disk.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base/assert.h"

namespace cairn {
namespace {

absl::Status no_file(const std::string& name) {
  return absl::NotFoundError(absl::StrCat("no file '", name, "'"));
}

}  // namespace

absl::Status MemDisk::check_name(const std::string& name) {
  bool bad = name.empty() || name.front() == '/' || name.back() == '/';
  for (absl::string_view part : absl::StrSplit(name, '/')) {
    bad = bad || part.empty() || part == "." || part == "..";
  }
  if (bad) return absl::InvalidArgumentError(absl::StrCat("bad file name '", name, "'"));
  return absl::OkStatus();
}

uint64_t MemDisk::inode_for_write(const std::string& name) {
  auto it = names_.find(name);
  if (it != names_.end()) return it->second;
  const uint64_t ino = next_inode_++;
  inodes_[ino] = Inode{};
  names_[name] = ino;
  ++inodes_[ino].links;
  dirty_names_.insert(name);
  return ino;
}

absl::Status MemDisk::check_fits(const std::string& name, uint64_t new_size) const {
  auto it = names_.find(name);
  const uint64_t old_size = it == names_.end() ? 0 : inodes_.at(it->second).data.size();
  if (new_size <= old_size) return absl::OkStatus();
  const uint64_t grow = new_size - old_size;
  if (capacity_bytes_ >= used_bytes_ && grow <= capacity_bytes_ - used_bytes_) {
    return absl::OkStatus();
  }
  return absl::ResourceExhaustedError(absl::StrCat("disk full: '", name, "' needs ", grow,
                                                   " more bytes, capacity ", capacity_bytes_,
                                                   ", used ", used_bytes_));
}

absl::Status MemDisk::store(const std::string& name, std::string_view real, uint64_t virtual_bytes,
                            bool append) {
  if (auto s = check_name(name); !s.ok()) return s;
  auto it = names_.find(name);
  const uint64_t old_size = it == names_.end() ? 0 : inodes_.at(it->second).data.size();
  const uint64_t added = real.size() + virtual_bytes;
  const uint64_t new_size = append ? old_size + added : added;
  if (auto s = check_fits(name, new_size); !s.ok()) return s;
  Inode& inode = inodes_[inode_for_write(name)];
  if (!append) inode.data = FileBytes();
  inode.data.append(real);
  inode.data.append_virtual(virtual_bytes);
  used_bytes_ = used_bytes_ - old_size + new_size;
  return absl::OkStatus();
}

absl::Status MemDisk::write(const std::string& name, std::string_view bytes) {
  return store(name, bytes, 0, false);
}

absl::Status MemDisk::append(const std::string& name, std::string_view bytes) {
  return store(name, bytes, 0, true);
}

absl::Status MemDisk::write(const std::string& name, const Payload& bytes) {
  return store(name, bytes.view(), bytes.virtual_bytes, false);
}

absl::Status MemDisk::append(const std::string& name, const Payload& bytes) {
  return store(name, bytes.view(), bytes.virtual_bytes, true);
}

absl::StatusOr<const FileBytes*> MemDisk::range_of(const std::string& name, uint64_t offset,
                                                   uint64_t length) const {
  auto it = names_.find(name);
  if (it == names_.end()) return no_file(name);
  const FileBytes& data = inodes_.at(it->second).data;
  if (offset > data.size() || length > data.size() - offset) {
    return absl::OutOfRangeError(absl::StrCat("range [", offset, ", +", length, ") of '", name,
                                              "' is past its end (", data.size(), " bytes)"));
  }
  return &data;
}

absl::StatusOr<std::string> MemDisk::read(const std::string& name) const {
  auto it = names_.find(name);
  if (it == names_.end()) return no_file(name);
  return read_range(name, 0, inodes_.at(it->second).data.size());
}

absl::StatusOr<std::string> MemDisk::read_range(const std::string& name, uint64_t offset,
                                                uint64_t length) const {
  absl::StatusOr<const FileBytes*> data = range_of(name, offset, length);
  if (!data.ok()) return data.status();
  std::optional<std::string> real = (*data)->real_range(offset, length);
  if (!real.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("range [", offset, ", +", length, ") of '", name, "' holds virtual bytes"));
  }
  return std::move(*real);
}

absl::StatusOr<RangeBytes> MemDisk::read_payload(const std::string& name, uint64_t offset,
                                                 uint64_t length) const {
  absl::StatusOr<const FileBytes*> data = range_of(name, offset, length);
  if (!data.ok()) return data.status();
  return (*data)->range(offset, length);
}

absl::StatusOr<FileStat> MemDisk::stat(const std::string& name) const {
  auto it = names_.find(name);
  if (it == names_.end()) return no_file(name);
  return FileStat{.size_bytes = inodes_.at(it->second).data.size()};
}

absl::Status MemDisk::sync(const std::string& name) {
  auto it = names_.find(name);
  if (it == names_.end()) return no_file(name);
  Inode& inode = inodes_.at(it->second);
  inode.durable = inode.data;
  return absl::OkStatus();
}

absl::Status MemDisk::append_sync(const std::string& name, std::string_view bytes) {
  if (auto s = append(name, bytes); !s.ok()) return s;
  return sync(name);
}

absl::Status MemDisk::append_sync(const std::string& name, const Payload& bytes) {
  if (auto s = append(name, bytes); !s.ok()) return s;
  return sync(name);
}

absl::Status MemDisk::rename(const std::string& from, const std::string& to) {
  if (auto s = check_name(to); !s.ok()) return s;
  auto it = names_.find(from);
  if (it == names_.end()) return no_file(from);
  const uint64_t ino = it->second;
  names_.erase(it);
  dirty_names_.insert(from);
  dirty_names_.insert(to);
  auto [at, created] = names_.try_emplace(to, ino);
  if (!created) {  // `to` is replaced: its inode loses a name
    unlink(at->second, &Inode::links);
    at->second = ino;
  }
  return absl::OkStatus();
}

absl::Status MemDisk::remove(const std::string& name) {
  auto it = names_.find(name);
  if (it == names_.end()) return no_file(name);
  unlink(it->second, &Inode::links);
  names_.erase(it);
  dirty_names_.insert(name);
  return absl::OkStatus();
}

void MemDisk::sync_dir() {
  // Only names changed since the last sync_dir() differ between the two maps, so the
  // cost is theirs, not the whole disk's.
  for (const std::string& name : dirty_names_) {
    auto now = names_.find(name);
    auto was = durable_names_.find(name);
    if (was != durable_names_.end() && (now == names_.end() || now->second != was->second)) {
      unlink(was->second, &Inode::durable_links);
      durable_names_.erase(was);
    }
    if (now != names_.end() && !durable_names_.contains(name)) {
      durable_names_[name] = now->second;
      ++inodes_.at(now->second).durable_links;
    }
  }
  dirty_names_.clear();
  collect_garbage();
}

void MemDisk::unlink(uint64_t ino, uint32_t Inode::*count) {
  Inode& inode = inodes_.at(ino);
  CAIRN_ASSERT(inode.*count > 0);
  --(inode.*count);
  if (inode.links == 0 && inode.durable_links == 0) maybe_garbage_.insert(ino);
}

void MemDisk::collect_garbage() {
  for (uint64_t ino : maybe_garbage_) {
    auto it = inodes_.find(ino);
    if (it == inodes_.end() || it->second.links > 0 || it->second.durable_links > 0) continue;
    CAIRN_ASSERT(used_bytes_ >= it->second.data.size());
    used_bytes_ -= it->second.data.size();
    inodes_.erase(it);
  }
  maybe_garbage_.clear();
}

std::vector<std::string> MemDisk::list(const std::string& prefix) const {
  std::vector<std::string> out;
  for (auto it = names_.lower_bound(prefix); it != names_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    out.push_back(it->first);
  }
  return out;
}

absl::StatusOr<std::vector<DirEntry>> MemDisk::list_dir(const std::string& dir) const {
  if (!dir.empty()) {
    if (auto s = check_name(dir); !s.ok()) return s;
  }
  const std::string prefix = dir.empty() ? "" : dir + "/";
  std::set<std::pair<std::string, bool>> entries;  // sorted by name, then file before dir
  for (auto it = names_.lower_bound(prefix); it != names_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    const std::string rest = it->first.substr(prefix.size());
    const size_t slash = rest.find('/');
    if (slash == std::string::npos) {
      entries.insert({rest, false});
    } else {
      entries.insert({rest.substr(0, slash), true});
    }
  }
  std::vector<DirEntry> out;
  for (const auto& [name, is_dir] : entries) out.push_back(DirEntry{name, is_dir});
  return out;
}

DiskSpace MemDisk::space() const {
  const uint64_t free = capacity_bytes_ > used_bytes_ ? capacity_bytes_ - used_bytes_ : uint64_t{0};
  return DiskSpace{
      .capacity_bytes = capacity_bytes_, .free_bytes = free, .used_bytes = used_bytes_};
}

void MemDisk::set_capacity(uint64_t capacity_bytes) {
  CAIRN_ASSERT(capacity_bytes > 0);
  capacity_bytes_ = capacity_bytes;
}

void MemDisk::crash(Rng& rng, const CrashDamage& damage) {
  names_ = durable_names_;
  std::set<uint64_t> live;
  for (const auto& [name, ino] : names_) live.insert(ino);
  used_bytes_ = 0;
  for (auto it = inodes_.begin(); it != inodes_.end();) {
    if (!live.contains(it->first)) {
      it = inodes_.erase(it);
      continue;
    }
    Inode& inode = it->second;
    FileBytes survived = inode.durable;
    const bool appended =
        inode.data.size() > inode.durable.size() && inode.data.starts_with(inode.durable);
    if (appended && damage.torn_write_probability > 0 &&
        rng.chance(damage.torn_write_probability)) {
      const uint64_t extra = inode.data.size() - inode.durable.size();
      const uint64_t kept = rng.between(1, static_cast<int64_t>(extra));
      survived.append_range(inode.data, inode.durable.size(), kept);
      if (rng.chance(damage.corrupt_probability)) {
        const uint64_t at = inode.durable.size() + rng.below(kept);
        survived.damage(at, static_cast<uint8_t>(1 + rng.below(255)));
      }
    }
    inode.data = survived;
    inode.durable = survived;
    used_bytes_ += survived.size();
    ++it;
  }
  durable_names_ = names_;
  for (auto& [ino, inode] : inodes_) inode.links = inode.durable_links = 0;
  for (const auto& [name, ino] : names_) {
    ++inodes_.at(ino).links;
    ++inodes_.at(ino).durable_links;
  }
  dirty_names_.clear();
  maybe_garbage_.clear();
}

std::vector<RotReport> MemDisk::rot(Rng& rng, uint64_t files) {
  std::vector<std::string> candidates;  // sorted: durable_names_ is ordered
  for (const auto& [name, ino] : durable_names_) {
    if (!inodes_.at(ino).durable.empty()) candidates.push_back(name);
  }
  std::vector<RotReport> out;
  while (out.size() < files && !candidates.empty()) {
    const size_t pick = rng.below(candidates.size());
    const std::string name = candidates[pick];
    candidates.erase(candidates.begin() + static_cast<ptrdiff_t>(pick));
    Inode& inode = inodes_.at(durable_names_.at(name));
    const uint64_t offset = rng.below(inode.durable.size());
    const int bit = static_cast<int>(rng.below(8));
    const auto mask = static_cast<uint8_t>(1 << bit);
    // The current contents show the rot where they still hold the synced bytes.
    const bool cached = inode.data.starts_with(inode.durable);
    inode.durable.damage(offset, mask);
    if (cached) inode.data.damage(offset, mask);
    out.push_back(RotReport{name, offset, bit});
  }
  std::sort(out.begin(), out.end(),
            [](const RotReport& a, const RotReport& b) { return a.name < b.name; });
  CAIRN_ASSERT(out.size() <= files);
  return out;
}

void MemDisk::check_invariants() const {
  uint64_t used = 0;
  for (const auto& [ino, inode] : inodes_) used += inode.data.size();
  CAIRN_ASSERT(used == used_bytes_);
  std::map<uint64_t, std::pair<uint32_t, uint32_t>> links;
  for (const auto& [name, ino] : names_) ++links[ino].first;
  for (const auto& [name, ino] : durable_names_) ++links[ino].second;
  for (const auto& [ino, inode] : inodes_) {
    const auto [current, durable] = links[ino];
    CAIRN_ASSERT(inode.links == current && inode.durable_links == durable);
    CAIRN_ASSERT(current + durable > 0 || maybe_garbage_.contains(ino));
  }
  for (const auto& [ino, count] : links) CAIRN_ASSERT(inodes_.contains(ino));
}

}  // namespace cairn
