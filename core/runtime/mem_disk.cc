#include "core/runtime/mem_disk.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace cairn {

absl::Status MemDisk::check_name(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("bad file name '", name, "'"));
  }
  return absl::OkStatus();
}

uint64_t MemDisk::inode_for_write(const std::string& name) {
  auto it = names_.find(name);
  if (it != names_.end()) return it->second;
  const uint64_t ino = next_inode_++;
  inodes_[ino] = Inode{};
  names_[name] = ino;
  return ino;
}

absl::Status MemDisk::write(const std::string& name, std::string bytes) {
  if (auto s = check_name(name); !s.ok()) return s;
  inodes_[inode_for_write(name)].data = std::move(bytes);
  return absl::OkStatus();
}

absl::Status MemDisk::append(const std::string& name, const std::string& bytes) {
  if (auto s = check_name(name); !s.ok()) return s;
  inodes_[inode_for_write(name)].data.append(bytes);
  return absl::OkStatus();
}

absl::StatusOr<std::string> MemDisk::read(const std::string& name) const {
  auto it = names_.find(name);
  if (it == names_.end()) return absl::NotFoundError(absl::StrCat("no file '", name, "'"));
  return inodes_.at(it->second).data;
}

absl::Status MemDisk::sync(const std::string& name) {
  auto it = names_.find(name);
  if (it == names_.end()) return absl::NotFoundError(absl::StrCat("no file '", name, "'"));
  Inode& inode = inodes_.at(it->second);
  inode.durable = inode.data;
  return absl::OkStatus();
}

absl::Status MemDisk::append_sync(const std::string& name, const std::string& bytes) {
  if (auto s = append(name, bytes); !s.ok()) return s;
  return sync(name);
}

absl::Status MemDisk::rename(const std::string& from, const std::string& to) {
  if (auto s = check_name(to); !s.ok()) return s;
  auto it = names_.find(from);
  if (it == names_.end()) return absl::NotFoundError(absl::StrCat("no file '", from, "'"));
  const uint64_t ino = it->second;
  names_.erase(it);
  names_[to] = ino;
  return absl::OkStatus();
}

absl::Status MemDisk::remove(const std::string& name) {
  if (names_.erase(name) == 0) return absl::NotFoundError(absl::StrCat("no file '", name, "'"));
  return absl::OkStatus();
}

void MemDisk::sync_dir() { durable_names_ = names_; }

std::vector<std::string> MemDisk::list(const std::string& prefix) const {
  std::vector<std::string> out;
  for (auto it = names_.lower_bound(prefix); it != names_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    out.push_back(it->first);
  }
  return out;
}

void MemDisk::crash(Rng& rng, const CrashDamage& damage) {
  names_ = durable_names_;
  std::set<uint64_t> live;
  for (const auto& [name, ino] : names_) live.insert(ino);
  for (auto it = inodes_.begin(); it != inodes_.end();) {
    if (!live.contains(it->first)) {
      it = inodes_.erase(it);
      continue;
    }
    Inode& inode = it->second;
    std::string survived = inode.durable;
    const bool appended = inode.data.size() > inode.durable.size() &&
                          inode.data.compare(0, inode.durable.size(), inode.durable) == 0;
    if (appended && damage.torn_write_probability > 0 &&
        rng.chance(damage.torn_write_probability)) {
      const uint64_t extra = inode.data.size() - inode.durable.size();
      const uint64_t kept = rng.between(1, static_cast<int64_t>(extra));
      survived.append(inode.data, inode.durable.size(), kept);
      if (rng.chance(damage.corrupt_probability)) {
        const uint64_t at = inode.durable.size() + rng.below(kept);
        survived[at] = static_cast<char>(survived[at] ^ (1 + rng.below(255)));
      }
    }
    inode.data = survived;
    inode.durable = survived;
    ++it;
  }
  durable_names_ = names_;
}

uint64_t MemDisk::bytes_stored() const {
  uint64_t total = 0;
  for (const auto& [ino, inode] : inodes_) total += inode.data.size();
  return total;
}

void MemDisk::check_invariants() const {
  for (const auto& [name, ino] : names_) CAIRN_ASSERT(inodes_.contains(ino));
}

}  // namespace cairn
