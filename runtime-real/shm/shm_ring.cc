#include "runtime-real/shm/shm_ring.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "runtime-real/host/posix_files.h"

namespace cairn::real {
namespace {

constexpr uint64_t kRingMagic = 0x474E495252494143ull;  // "CAIRRING"
constexpr size_t kHeaderPage = 4096;

void futex_wait(std::atomic<uint32_t>* word, uint32_t seen, int timeout_ms) {
  timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT, seen, &ts, nullptr, 0);
}

void futex_wake(std::atomic<uint32_t>* word) {
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

size_t mapped_bytes(uint64_t capacity) { return kHeaderPage + 2 * capacity; }

// Maps the segment's header page and data, then the data a second time right after the
// first copy, so that any `capacity` bytes starting in the data are contiguous in memory.
// MAP_POPULATE maps the pages now, so the data path takes no page faults on the first lap.
void* map_mirrored(int fd, uint64_t capacity) {
  const size_t total = mapped_bytes(capacity);
  void* area =
      ::mmap(nullptr, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (area == MAP_FAILED) return MAP_FAILED;
  char* base = static_cast<char*>(area);
  constexpr int kFlags = MAP_SHARED | MAP_FIXED | MAP_POPULATE;
  constexpr int kProt = PROT_READ | PROT_WRITE;
  if (::mmap(base, kHeaderPage + capacity, kProt, kFlags, fd, 0) == MAP_FAILED ||
      ::mmap(base + kHeaderPage + capacity, capacity, kProt, kFlags, fd, kHeaderPage) ==
          MAP_FAILED) {
    const int err = errno;
    ::munmap(area, total);
    errno = err;
    return MAP_FAILED;
  }
  return area;
}

}  // namespace

struct ShmRing::Header {
  uint64_t magic;
  uint64_t capacity;
  uint64_t creator_pid;
  alignas(64) std::atomic<uint64_t> head;  // written by the producer only
  alignas(64) std::atomic<uint64_t> tail;  // written by the consumer only
  alignas(64) std::atomic<uint32_t> data_seq;
  std::atomic<uint32_t> consumer_waiting;
  alignas(64) std::atomic<uint32_t> space_seq;
  std::atomic<uint32_t> producer_waiting;
  alignas(64) std::atomic<uint32_t> closed;
  std::atomic<uint32_t> retired;  // set by the consumer only
};
static_assert(sizeof(std::atomic<uint64_t>) == 8 && std::atomic<uint64_t>::is_always_lock_free);

ShmRing::ShmRing(std::string name, void* base, size_t mapped, uint64_t capacity)
    : name_(std::move(name)),
      base_(base),
      mapped_(mapped),
      capacity_(capacity),
      header_(static_cast<Header*>(base)),
      data_(static_cast<char*>(base) + kHeaderPage) {
  static_assert(sizeof(Header) <= kHeaderPage);
}

ShmRing::~ShmRing() { ::munmap(base_, mapped_); }

absl::StatusOr<std::unique_ptr<ShmRing>> ShmRing::create(const std::string& name,
                                                         uint64_t capacity) {
  CAIRN_ASSERT(capacity >= 4096 && (capacity & (capacity - 1)) == 0);
  const int fd = ::shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return absl::AlreadyExistsError(name);
    return errno_status(errno, "shm_open " + name);
  }
  const size_t size = kHeaderPage + capacity;
  // posix_fallocate reserves the pages now, so a full /dev/shm is an error here rather
  // than a SIGBUS on first touch.
  const int err = ::posix_fallocate(fd, 0, static_cast<off_t>(size));
  void* base = err == 0 ? map_mirrored(fd, capacity) : MAP_FAILED;
  const int map_err = errno;
  ::close(fd);
  if (err != 0 || base == MAP_FAILED) {
    ::shm_unlink(name.c_str());
    return errno_status(err != 0 ? err : map_err, "map shm " + name);
  }
  auto* h = new (base) Header{};
  h->magic = kRingMagic;
  h->capacity = capacity;
  h->creator_pid = static_cast<uint64_t>(::getpid());
  return std::unique_ptr<ShmRing>(new ShmRing(name, base, mapped_bytes(capacity), capacity));
}

absl::StatusOr<std::unique_ptr<ShmRing>> ShmRing::open(const std::string& name) {
  const int fd = ::shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return errno_status(errno, "shm_open " + name);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || static_cast<size_t>(st.st_size) <= kHeaderPage) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat(name, " is not a ring (size)"));
  }
  const auto size = static_cast<size_t>(st.st_size);
  const uint64_t capacity = size - kHeaderPage;
  if ((capacity & (capacity - 1)) != 0) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat(name, " is not a ring (capacity)"));
  }
  void* base = map_mirrored(fd, capacity);
  const int map_err = errno;
  ::close(fd);
  if (base == MAP_FAILED) return errno_status(map_err, "mmap " + name);
  const auto* h = static_cast<const Header*>(base);
  if (h->magic != kRingMagic || h->capacity != capacity) {
    ::munmap(base, mapped_bytes(capacity));
    return absl::InvalidArgumentError(absl::StrCat(name, " is not a ring (header)"));
  }
  return std::unique_ptr<ShmRing>(new ShmRing(name, base, mapped_bytes(capacity), capacity));
}

void ShmRing::unlink(const std::string& name) { ::shm_unlink(name.c_str()); }

std::string ShmRing::make_name(uint32_t from, uint32_t to) {
  static std::atomic<uint64_t> counter{0};
  return absl::StrCat("/cairn-", ::getpid(), "-", from, "-", to, "-", counter.fetch_add(1));
}

int ShmRing::sweep_dead_segments() {
  DIR* d = ::opendir("/dev/shm");
  if (d == nullptr) return 0;
  int removed = 0;
  while (dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (!n.starts_with("cairn-")) continue;
    const size_t dash = n.find('-', 6);
    int pid = 0;
    if (dash == std::string::npos || !absl::SimpleAtoi(n.substr(6, dash - 6), &pid)) continue;
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) {
      if (::shm_unlink(("/" + n).c_str()) == 0) ++removed;
    }
  }
  ::closedir(d);
  return removed;
}

size_t ShmRing::write_some(const char* data, size_t size) {
  const std::string_view piece(data, size);
  return write_gather({&piece, 1}, 0);
}

size_t ShmRing::free_bytes() const {
  const uint64_t head = header_->head.load(std::memory_order_relaxed);
  return capacity_ - (head - header_->tail.load(std::memory_order_acquire));
}

size_t ShmRing::write_gather(std::span<const std::string_view> pieces, size_t skip) {
  const uint64_t head = header_->head.load(std::memory_order_relaxed);
  const uint64_t tail = header_->tail.load(std::memory_order_acquire);
  CAIRN_ASSERT(head - tail <= capacity_);
  size_t room = capacity_ - (head - tail);
  uint64_t at = head;
  for (std::string_view piece : pieces) {
    if (room == 0) break;
    if (skip >= piece.size()) {
      skip -= piece.size();
      continue;
    }
    piece.remove_prefix(skip);
    skip = 0;
    const size_t n = std::min(piece.size(), room);
    std::memcpy(data_ + (at & (capacity_ - 1)), piece.data(), n);  // the mirror takes a wrap
    at += n;
    room -= n;
  }
  if (at == head) return 0;
  publish(at - head);
  return at - head;
}

std::span<char> ShmRing::reserve(size_t size) {
  CAIRN_ASSERT(size <= capacity_);
  if (free_bytes() < size) return {};
  const uint64_t head = header_->head.load(std::memory_order_relaxed);
  return {data_ + (head & (capacity_ - 1)), size};  // the mirror takes a wrap
}

void ShmRing::publish(size_t size) {
  CAIRN_ASSERT(size <= free_bytes());
  const uint64_t head = header_->head.load(std::memory_order_relaxed);
  header_->head.store(head + size, std::memory_order_seq_cst);
  if (header_->consumer_waiting.load(std::memory_order_seq_cst) != 0) {
    header_->data_seq.fetch_add(1);
    futex_wake(&header_->data_seq);
  }
}

void ShmRing::wait_for_space(int timeout_ms, size_t bytes) {
  const uint64_t need = std::clamp<uint64_t>(bytes, 1, capacity_);
  const uint32_t seen = header_->space_seq.load();
  header_->producer_waiting.store(1, std::memory_order_seq_cst);
  const uint64_t used =
      header_->head.load(std::memory_order_relaxed) - header_->tail.load(std::memory_order_seq_cst);
  if (capacity_ - used < need && !closed()) futex_wait(&header_->space_seq, seen, timeout_ms);
  header_->producer_waiting.store(0);
}

uint64_t ShmRing::read_index() const { return header_->tail.load(std::memory_order_acquire); }

uint64_t ShmRing::write_index() const { return header_->head.load(std::memory_order_seq_cst); }

std::span<const char> ShmRing::readable_at(uint64_t pos) const {
  const uint64_t head = header_->head.load(std::memory_order_acquire);
  CAIRN_ASSERT(header_->tail.load(std::memory_order_relaxed) <= pos && pos <= head);
  return {data_ + (pos & (capacity_ - 1)), head - pos};
}

std::span<const char> ShmRing::readable() const { return readable_at(read_index()); }

void ShmRing::release_to(uint64_t pos) {
  const uint64_t tail = header_->tail.load(std::memory_order_relaxed);
  CAIRN_ASSERT(tail <= pos && pos <= header_->head.load(std::memory_order_acquire));
  if (pos == tail) return;
  header_->tail.store(pos, std::memory_order_seq_cst);
  if (header_->producer_waiting.load(std::memory_order_seq_cst) != 0) wake_producer();
}

void ShmRing::consume(size_t n) { release_to(read_index() + n); }

void ShmRing::wake_producer() {
  header_->space_seq.fetch_add(1);
  futex_wake(&header_->space_seq);
}

bool ShmRing::producer_waiting() const { return header_->producer_waiting.load() != 0; }

void ShmRing::wait_for_data(int timeout_ms, uint64_t head_at_least) {
  const uint32_t seen = header_->data_seq.load();
  header_->consumer_waiting.store(1, std::memory_order_seq_cst);
  const bool short_of_it = header_->head.load(std::memory_order_seq_cst) < head_at_least;
  if (short_of_it && !closed()) futex_wait(&header_->data_seq, seen, timeout_ms);
  header_->consumer_waiting.store(0);
}

void ShmRing::retire() {
  header_->retired.store(1);
  wake_producer();
}

bool ShmRing::retired() const { return header_->retired.load() != 0; }

bool ShmRing::contains(const void* p) const {
  const auto* c = static_cast<const char*>(p);
  return c >= data_ && c < data_ + 2 * capacity_;
}

void ShmRing::close() {
  header_->closed.store(1);
  header_->data_seq.fetch_add(1);
  futex_wake(&header_->data_seq);
  wake_producer();
}

bool ShmRing::closed() const { return header_->closed.load() != 0; }

}  // namespace cairn::real
