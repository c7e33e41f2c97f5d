// One suite, two disks: every Disk promise of core/runtime/disk.h and every fault kind of
// core/runtime/faulty_disk.h, checked against MemDisk in the manual runtime and against
// FileDisk on a temporary directory. A fault must do what its kind says and nothing else.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <optional>

#include "core/runtime/disk_util.h"
#include "core/runtime/faulty_disk.h"
#include "core/runtime/manual_runtime.h"
#include "runtime-real/host/asio_runtime.h"
#include "runtime-real/host/file_disk.h"
#include "runtime-real/host/spd_log.h"

namespace cairn {
namespace {

using namespace std::chrono_literals;
using Finish = std::function<void()>;

// MemDisk behind the manual runtime's Disk.
class MemBackend {
 public:
  static constexpr bool kKeepsVirtualBytes = true;  // a simulated disk (disk.h)
  MemBackend() : cluster_(1), rt_(cluster_.add_node(1)) {}
  Disk& disk() { return rt_.disk(); }
  void set_latency(Duration d) { rt_.set_disk_latency(d); }
  // Issues operations and runs the clock until `finish` was called.
  void run(const std::function<void(Finish)>& issue) {
    bool finished = false;
    issue([&finished] { finished = true; });
    for (int i = 0; i < 100 && !finished; ++i) cluster_.advance(10ms);
    ASSERT_TRUE(finished);
  }

 private:
  ManualCluster cluster_;
  ManualRuntime& rt_;
};

// FileDisk on a fresh directory; operations are issued on the runtime's loop.
class FileBackend {
 public:
  static constexpr bool kKeepsVirtualBytes = false;  // real nodes never see virtual bytes
  FileBackend()
      : dir_(make_dir()),
        rt_(1, dir_ + "/rt", pool_, real::make_process_logger(LogLevel::kWarn), 1),
        disk_(rt_, dir_ + "/disk") {
    rt_.start();
  }
  ~FileBackend() {
    rt_.stop();
    pool_.join();
    std::filesystem::remove_all(dir_);
  }
  Disk& disk() { return disk_; }
  void set_latency(Duration d) { disk_.set_added_latency(d); }
  void run(const std::function<void(Finish)>& issue) {
    auto done = std::make_shared<std::promise<void>>();
    rt_.run_sync([&] { issue([done] { done->set_value(); }); });
    ASSERT_EQ(done->get_future().wait_for(20s), std::future_status::ready);
  }

 private:
  static std::string make_dir() {
    char tmpl[] = "/tmp/cairn-disk-XXXXXX";
    return ::mkdtemp(tmpl);
  }
  std::string dir_;
  real::asio::thread_pool pool_{2};
  real::AsioRuntime rt_;
  real::FileDisk disk_;
};

template <typename Backend>
class DiskConformance : public ::testing::Test {
 protected:
  // The disk under test: the backend's own, or the FaultyDisk around it once made.
  Disk& d() { return faulty_ ? static_cast<Disk&>(*faulty_) : b_.disk(); }
  FaultyDisk& faulty(uint64_t seed = 7) {
    if (!faulty_) {
      FaultyDisk::Hooks hooks{.set_added_latency = [this](Duration l) { b_.set_latency(l); },
                              .on_fault = [this](Event e) { events_.push_back(e.kind); }};
      faulty_.emplace(b_.disk(), Rng(seed), hooks);
    }
    return *faulty_;
  }
  void set_faults(const DiskFaults& f) {
    b_.run([&](Finish fin) {
      faulty().set_faults(f);
      fin();
    });
  }

  absl::Status write(const std::string& name, std::string bytes) {
    return status_of([&](Disk::Done done) { d().write(name, std::move(bytes), done); });
  }
  absl::Status append(const std::string& name, std::string bytes) {
    return status_of([&](Disk::Done done) { d().append(name, std::move(bytes), done); });
  }
  absl::Status sync(const std::string& name) {
    return status_of([&](Disk::Done done) { d().sync(name, done); });
  }
  absl::Status sync_dir() {
    return status_of([&](Disk::Done done) { d().sync_dir(done); });
  }
  absl::StatusOr<std::string> read(const std::string& name) {
    return result_of<std::string>([&](Disk::ReadDone done) { d().read(name, done); });
  }
  absl::StatusOr<std::string> read_range(const std::string& name, uint64_t off, uint64_t len) {
    return result_of<std::string>(
        [&](Disk::ReadDone done) { d().read_range(name, off, len, done); });
  }
  absl::StatusOr<FileStat> stat(const std::string& name) {
    return result_of<FileStat>([&](Disk::StatDone done) { d().stat(name, done); });
  }
  absl::StatusOr<DiskSpace> space() {
    return result_of<DiskSpace>([&](Disk::SpaceDone done) { d().space(done); });
  }
  absl::StatusOr<std::vector<DirEntry>> list_dir(const std::string& dir) {
    return result_of<std::vector<DirEntry>>([&](Disk::DirDone done) { d().list_dir(dir, done); });
  }
  // Writes, syncs and names durably each file of `files`.
  void put_all(const std::map<std::string, std::string>& files) {
    for (const auto& [name, bytes] : files) {
      ASSERT_TRUE(write(name, bytes).ok());
      ASSERT_TRUE(sync(name).ok());
    }
    ASSERT_TRUE(sync_dir().ok());
  }
  void expect_contents(const std::map<std::string, std::string>& files) {
    for (const auto& [name, bytes] : files) {
      auto got = read(name);
      ASSERT_TRUE(got.ok()) << name << ": " << got.status();
      EXPECT_EQ(*got, bytes) << name;
    }
  }

  absl::Status status_of(const std::function<void(Disk::Done)>& issue) {
    absl::Status out = absl::UnknownError("not done");
    b_.run([&](Finish fin) {
      issue([&out, fin](absl::Status s) {
        out = s;
        fin();
      });
    });
    return out;
  }
  template <typename T>
  absl::StatusOr<T> result_of(
      const std::function<void(std::function<void(absl::StatusOr<T>)>)>& issue) {
    absl::StatusOr<T> out = absl::UnknownError("not done");
    b_.run([&](Finish fin) {
      issue([&out, fin](absl::StatusOr<T> r) {
        out = std::move(r);
        fin();
      });
    });
    return out;
  }

  Backend b_;
  std::optional<FaultyDisk> faulty_;
  std::vector<std::string> events_;
};

using Backends = ::testing::Types<MemBackend, FileBackend>;
TYPED_TEST_SUITE(DiskConformance, Backends);

TYPED_TEST(DiskConformance, ReadRangeStaysWithinTheFile) {
  ASSERT_TRUE(this->write("blob", "0123456789").ok());
  EXPECT_EQ(*this->read_range("blob", 0, 10), "0123456789");
  EXPECT_EQ(*this->read_range("blob", 3, 4), "3456");
  EXPECT_EQ(*this->read_range("blob", 10, 0), "");  // empty range at the end
  EXPECT_EQ(*this->read_range("blob", 4, 0), "");
  EXPECT_EQ(this->read_range("blob", 11, 0).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(this->read_range("blob", 8, 3).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(this->read_range("blob", 10, 1).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(this->read_range("blob", 1, UINT64_MAX).status().code(),
            absl::StatusCode::kOutOfRange);  // no overflow
  EXPECT_EQ(this->read_range("none", 0, 0).status().code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(DiskConformance, StatListDirAndSpace) {
  ASSERT_TRUE(this->write("s/ab/c1", "xyz").ok());
  ASSERT_TRUE(this->write("s/ab/c2", "").ok());
  ASSERT_TRUE(this->write("s/cd/e", "1").ok());
  ASSERT_TRUE(this->write("s/top", "12345").ok());
  EXPECT_EQ(this->stat("s/ab/c1")->size_bytes, 3u);
  EXPECT_EQ(this->stat("s/ab/c2")->size_bytes, 0u);
  EXPECT_EQ(this->stat("s/nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(*this->list_dir("s"),
            (std::vector<DirEntry>{{"ab", true}, {"cd", true}, {"top", false}}));
  EXPECT_EQ(*this->list_dir("s/ab"), (std::vector<DirEntry>{{"c1", false}, {"c2", false}}));
  EXPECT_EQ(*this->list_dir(""), (std::vector<DirEntry>{{"s", true}}));
  EXPECT_TRUE(this->list_dir("s/missing")->empty());
  EXPECT_EQ(this->list_dir("../x").status().code(), absl::StatusCode::kInvalidArgument);
  auto sp = this->space();
  ASSERT_TRUE(sp.ok());
  EXPECT_GT(sp->capacity_bytes, 0u);
  EXPECT_LE(sp->used_bytes + sp->free_bytes, sp->capacity_bytes);
  EXPECT_GE(sp->used_bytes, 9u);
}

TYPED_TEST(DiskConformance, WritesPayloadsThatAliasOtherMemory) {
  auto owner = std::make_shared<const std::string>("header|shard-bytes|trailer");
  const std::string_view body = std::string_view(*owner).substr(7, 11);
  Payload p = Payload::alias(owner, body);
  ASSERT_TRUE(this->status_of([&](Disk::Done done) { this->d().write("p", p, done); }).ok());
  ASSERT_TRUE(this->status_of([&](Disk::Done done) { this->d().append("p", p, done); }).ok());
  EXPECT_EQ(*this->read("p"), "shard-bytesshard-bytes");
}

// Virtual bytes (a length only): a simulated disk keeps the length, a file disk refuses.
TYPED_TEST(DiskConformance, KeepsVirtualBytesOnlyWhenSimulated) {
  Payload virt;
  virt.virtual_bytes = 100;
  const absl::Status wrote =
      this->status_of([&](Disk::Done done) { this->d().write("v", virt, done); });
  const absl::Status appended =
      this->status_of([&](Disk::Done done) { this->d().append("w", virt, done); });
  if constexpr (!TypeParam::kKeepsVirtualBytes) {
    EXPECT_EQ(wrote.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(appended.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(this->stat("v").status().code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(this->stat("w").status().code(), absl::StatusCode::kNotFound);
    return;
  }
  ASSERT_TRUE(wrote.ok() && appended.ok());
  ASSERT_TRUE(this->append("v", "tail").ok());
  EXPECT_EQ(this->stat("v")->size_bytes, 104u);
  EXPECT_EQ(this->read("v").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*this->read_range("v", 100, 4), "tail");
  auto got = this->template result_of<RangeBytes>(
      [&](Disk::PayloadDone done) { this->d().read_payload("v", 90, 14, done); });
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->bytes.virtual_bytes, 10u);
  EXPECT_EQ(got->bytes.view(), "tail");
  EXPECT_FALSE(got->rotten);
}

TYPED_TEST(DiskConformance, StreamsABlobInManyPiecesThenPublishesIt) {
  constexpr int kPieces = 200;
  constexpr size_t kPieceBytes = 4096;
  int made = 0;
  auto piece_bytes = [](int i) {
    return std::string(kPieceBytes, static_cast<char>('a' + i % 26));
  };
  NextPiece next = [&]() -> std::optional<Payload> {
    if (made == kPieces) return std::nullopt;
    return Payload(piece_bytes(made++));
  };
  ASSERT_TRUE(
      this->status_of([&](Disk::Done done) { append_pieces(this->d(), "tmp/blob", next, done); })
          .ok());
  EXPECT_EQ(made, kPieces);
  ASSERT_TRUE(this->sync("tmp/blob").ok());
  ASSERT_TRUE(
      this->status_of([&](Disk::Done done) { this->d().rename("tmp/blob", "ab/blob", done); })
          .ok());
  ASSERT_TRUE(this->sync_dir().ok());
  EXPECT_EQ(this->stat("ab/blob")->size_bytes, kPieces * kPieceBytes);
  for (int i : {0, 1, 77, kPieces - 1}) {
    EXPECT_EQ(*this->read_range("ab/blob", i * kPieceBytes, kPieceBytes), piece_bytes(i)) << i;
  }
  // No pieces at all: an empty file.
  NextPiece none = [] { return std::optional<Payload>(); };
  ASSERT_TRUE(
      this->status_of([&](Disk::Done done) { append_pieces(this->d(), "empty", none, done); })
          .ok());
  EXPECT_EQ(*this->read("empty"), "");
}

TYPED_TEST(DiskConformance, ReplaceAtomicallyLeavesOnlyTheNewContents) {
  ASSERT_TRUE(this->write("meta/v", "old").ok());
  ASSERT_TRUE(this->status_of([&](Disk::Done done) {
                    replace_atomically(this->d(), "meta/v", Payload(std::string("new")), done);
                  })
                  .ok());
  EXPECT_EQ(*this->read("meta/v"), "new");
  EXPECT_EQ(this->stat(temp_name_for("meta/v")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(*this->list_dir("meta"), (std::vector<DirEntry>{{"v", false}}));
}

// Fault kinds through FaultyDisk.

TYPED_TEST(DiskConformance, ReadErrorsFailOnlyTheReadAndTouchNothing) {
  const std::map<std::string, std::string> files{{"a", "alpha"}, {"b", "beta"}};
  this->put_all(files);
  this->set_faults(DiskFaults{.read_error_probability = 1});
  EXPECT_EQ(this->read("a").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(this->read_range("b", 0, 2).status().code(), absl::StatusCode::kDataLoss);
  ASSERT_TRUE(this->write("c", "gamma").ok());  // writes are unaffected
  this->set_faults(DiskFaults{});
  this->expect_contents({{"a", "alpha"}, {"b", "beta"}, {"c", "gamma"}});
  EXPECT_EQ(this->faulty().injected("disk_read_error"), 2u);
}

TYPED_TEST(DiskConformance, LostWritesAreAcknowledgedButNotStored) {
  const std::map<std::string, std::string> files{{"a", "alpha"}, {"b", "beta"}};
  this->put_all(files);
  this->set_faults(DiskFaults{.lost_write_probability = 1});
  EXPECT_TRUE(this->write("a", "REPLACED").ok());
  EXPECT_TRUE(this->append("b", "+more").ok());
  EXPECT_TRUE(this->write("new", "x").ok());
  this->set_faults(DiskFaults{});
  this->expect_contents(files);
  EXPECT_EQ(this->stat("new").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(this->faulty().injected("disk_lost_write"), 3u);
}

TYPED_TEST(DiskConformance, MisdirectedWritesLandInAnotherFileOnly) {
  const std::map<std::string, std::string> files{{"a", "alpha"}, {"b", "beta"}, {"c", "gamma"}};
  this->faulty();  // from here on through the wrapper, which learns the three names
  this->put_all(files);
  this->set_faults(DiskFaults{.misdirected_write_probability = 1});
  EXPECT_TRUE(this->append("a", "+A").ok());
  this->set_faults(DiskFaults{});
  // "a" is unchanged; exactly one of the others got the bytes at its end.
  int hit = 0;
  for (const auto& [name, bytes] : files) {
    const std::string now = *this->read(name);
    if (name == "a") {
      EXPECT_EQ(now, bytes);
    } else if (now != bytes) {
      EXPECT_EQ(now, bytes + "+A") << name;
      ++hit;
    }
  }
  EXPECT_EQ(hit, 1);
  EXPECT_EQ(this->faulty().injected("disk_misdirected_write"), 1u);
}

TYPED_TEST(DiskConformance, AFullDiskRefusesGrowthAndKeepsContents) {
  const std::map<std::string, std::string> files{{"a", "alpha"}};
  this->put_all(files);
  this->set_faults(DiskFaults{.full = true});
  EXPECT_EQ(this->write("a", "longer contents").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(this->append("a", "!").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(this->write("b", "x").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(this->space()->free_bytes, 0u);
  EXPECT_TRUE(this->status_of([&](Disk::Done done) { this->d().rename("a", "a2", done); }).ok());
  this->set_faults(DiskFaults{});
  this->expect_contents({{"a2", "alpha"}});
  EXPECT_EQ(this->stat("b").status().code(), absl::StatusCode::kNotFound);
}

TYPED_TEST(DiskConformance, BitRotFlipsOneBitInEachChosenFileOnly) {
  const std::map<std::string, std::string> files{
      {"r/1", "one one"}, {"r/2", "two two"}, {"r/3", "three"}, {"r/4", "four"}};
  this->put_all(files);
  absl::StatusOr<std::vector<RotReport>> rotted = absl::UnknownError("not done");
  this->b_.run([&](Finish fin) {
    this->faulty(11).rot("r/", 2, [&rotted, fin](absl::StatusOr<std::vector<RotReport>> r) {
      rotted = std::move(r);
      fin();
    });
  });
  ASSERT_TRUE(rotted.ok()) << rotted.status();
  ASSERT_EQ(rotted->size(), 2u);
  std::map<std::string, RotReport> by_name;
  for (const RotReport& r : *rotted) by_name[r.name] = r;
  for (const auto& [name, bytes] : files) {
    std::string expect = bytes;
    if (by_name.contains(name)) {
      const RotReport& r = by_name[name];
      expect[r.offset] = static_cast<char>(expect[r.offset] ^ (1 << r.bit));
    }
    EXPECT_EQ(*this->read(name), expect) << name;
  }
}

TYPED_TEST(DiskConformance, SlowIoDelaysCompletionsNotResults) {
  this->put_all({{"a", "alpha"}});
  this->set_faults(DiskFaults{.added_latency = 30ms});
  const auto start = std::chrono::steady_clock::now();
  this->expect_contents({{"a", "alpha"}});
  ASSERT_TRUE(this->write("b", "beta").ok());
  this->set_faults(DiskFaults{});
  if constexpr (std::is_same_v<TypeParam, FileBackend>) {
    // The worker slept before each of the two operations (a lower bound, never flaky).
    EXPECT_GE(std::chrono::steady_clock::now() - start, 60ms);
  }
  this->expect_contents({{"a", "alpha"}, {"b", "beta"}});
}

}  // namespace
}  // namespace cairn
