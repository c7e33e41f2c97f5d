// FileDisk with several operations in flight: issue order holds wherever it matters (one
// name, list, sync_dir), operations on different names overlap, kept descriptors survive
// eviction under concurrent use, and a failure completes only its own operation.
#include "runtime-real/host/file_disk.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime-real/host/asio_runtime.h"
#include "runtime-real/host/config.h"
#include "runtime-real/host/spd_log.h"

namespace cairn::real {
namespace {

using namespace std::chrono_literals;

absl::Status status_of(const absl::Status& s) { return s; }
template <typename T>
absl::Status status_of(const absl::StatusOr<T>& r) {
  return r.status();
}

// Counts the callbacks of a batch of operations (loop thread only); `all` is ready once
// the batch was sealed and every callback ran.
struct Batch {
  int left = 0;
  bool sealed = false;
  std::promise<void> all;
  void add() { ++left; }
  void done() {
    if (--left == 0 && sealed) all.set_value();
  }
  void seal() {
    sealed = true;
    if (left == 0) all.set_value();
  }
};

class FileDiskTest : public ::testing::Test {
 protected:
  void SetUp() override { make(8); }
  void TearDown() override {
    rt_->stop();
    disk_.reset();
    rt_.reset();
    pool_.join();
    std::filesystem::remove_all(dir_);
  }
  void make(int threads) {
    if (rt_) rt_->stop();
    disk_.reset();
    rt_ = std::make_unique<AsioRuntime>(1, dir_ + "/rt", pool_,
                                        make_process_logger(LogLevel::kWarn), 1);
    disk_ = std::make_unique<FileDisk>(*rt_, dir_ + "/disk", threads);
    rt_->start();
  }
  // Runs `issue` on the loop and waits until every operation it added to the batch ran.
  void run(const std::function<void(FileDisk&, Batch&)>& issue) {
    Batch batch;
    std::future<void> all = batch.all.get_future();
    rt_->run_sync([&] {
      issue(*disk_, batch);
      batch.seal();
    });
    ASSERT_EQ(all.wait_for(60s), std::future_status::ready);
  }
  Disk::Done ok(Batch& b) {
    return [&b](absl::Status s) {
      EXPECT_TRUE(s.ok()) << s;
      b.done();
    };
  }
  Disk::ReadDone expect_read(Batch& b, std::string want) {
    return [&b, want](absl::StatusOr<std::string> r) {
      EXPECT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(r.value_or("<error>"), want);
      b.done();
    };
  }
  std::string path(const std::string& name) const { return dir_ + "/disk/" + name; }

  const std::string dir_ = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cairn-fdisk-XXXXXX").string();
    EXPECT_NE(::mkdtemp(tmpl.data()), nullptr);
    return tmpl;
  }();
  asio::thread_pool pool_{2};
  std::unique_ptr<AsioRuntime> rt_;
  std::unique_ptr<FileDisk> disk_;
};

TEST_F(FileDiskTest, AppendsToOneNameKeepTheirOrderAmidOtherNames) {
  std::string expected;
  std::vector<int> order;
  run([&](FileDisk& d, Batch& b) {
    for (int i = 0; i < 200; ++i) {
      const std::string piece = absl::StrCat("<", i, ">");
      expected += piece;
      auto note = [&b, &order, i](absl::Status s) {
        EXPECT_TRUE(s.ok()) << s;
        order.push_back(i);
        b.done();
      };
      b.add();
      if (i % 3 == 0) {
        d.append_sync("raft/log", piece, note);
      } else {
        d.append("raft/log", piece, note);
      }
      // Another name rewritten and read back, issued between the appends.
      const std::string other = absl::StrCat("o/", i % 7);
      b.add();
      d.write(other, absl::StrCat("v", i), ok(b));
      b.add();
      d.read(other, expect_read(b, absl::StrCat("v", i)));
    }
    b.add();
    d.read("raft/log", [&](absl::StatusOr<std::string> r) {
      EXPECT_EQ(r.value_or("?"), expected);  // every append issued before it, in order
      b.done();
    });
  });
  ASSERT_EQ(order.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(order[i], i);
}

TEST_F(FileDiskTest, ReadsSeeTheWritesIssuedBeforeThemAndNoLaterOnes) {
  run([&](FileDisk& d, Batch& b) {
    b.add();
    d.write("f", "first", ok(b));
    b.add();
    d.read("f", expect_read(b, "first"));
    b.add();
    d.read_range("f", 1, 3, expect_read(b, "irs"));
    b.add();
    d.write("f", "second!", ok(b));
    b.add();
    d.stat("f", [&](absl::StatusOr<FileStat> st) {
      EXPECT_EQ(st.ok() ? st->size_bytes : 0, 7u);
      b.done();
    });
    b.add();
    d.append("f", "+", ok(b));
    b.add();
    d.read_range("f", 6, 2, expect_read(b, "!+"));
    b.add();
    d.remove("f", ok(b));
    b.add();
    d.read("f", [&](absl::StatusOr<std::string> r) {
      EXPECT_TRUE(absl::IsNotFound(r.status())) << r.status();
      b.done();
    });
  });
}

TEST_F(FileDiskTest, ListSeesEveryCreationIssuedBeforeItAndNoneAfter) {
  std::vector<std::string> listed;
  std::vector<DirEntry> dir_listed;
  run([&](FileDisk& d, Batch& b) {
    for (int i = 0; i < 50; ++i) {
      b.add();
      d.write(absl::StrCat("d/", 100 + i), "x", ok(b));
    }
    b.add();
    d.list("d/", [&](absl::StatusOr<std::vector<std::string>> r) {
      EXPECT_TRUE(r.ok());
      listed = r.value_or(std::vector<std::string>{});
      b.done();
    });
    b.add();
    d.list_dir("d", [&](absl::StatusOr<std::vector<DirEntry>> r) {
      EXPECT_TRUE(r.ok());
      dir_listed = r.value_or(std::vector<DirEntry>{});
      b.done();
    });
    for (int i = 0; i < 20; ++i) {
      b.add();
      d.write(absl::StrCat("d/later", i), "y", ok(b));
      b.add();
      d.remove(absl::StrCat("d/", 100 + i), ok(b));
    }
  });
  ASSERT_EQ(listed.size(), 50u);
  ASSERT_EQ(dir_listed.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(listed[i], absl::StrCat("d/", 100 + i));
    EXPECT_EQ(dir_listed[i], (DirEntry{absl::StrCat(100 + i), false}));
  }
}

TEST_F(FileDiskTest, RenamesThenReadsOfTheNewNamesThenSyncDir) {
  bool synced = false;
  run([&](FileDisk& d, Batch& b) {
    for (int i = 0; i < 40; ++i) {
      const std::string tmp = absl::StrCat("t/", i, ".tmp");
      const std::string final_name = absl::StrCat("f/", i);
      b.add();
      d.append(tmp, absl::StrCat("body", i), ok(b));
      b.add();
      d.sync(tmp, ok(b));
      b.add();
      d.rename(tmp, final_name, ok(b));
      b.add();
      d.read(final_name, expect_read(b, absl::StrCat("body", i)));
      b.add();
      d.stat(tmp, [&](absl::StatusOr<FileStat> st) {
        EXPECT_TRUE(absl::IsNotFound(st.status())) << st.status();
        b.done();
      });
    }
    b.add();
    d.sync_dir([&](absl::Status s) {
      EXPECT_TRUE(s.ok()) << s;
      synced = true;
      b.done();
    });
  });
  EXPECT_TRUE(synced);
  for (int i = 0; i < 40; ++i) EXPECT_TRUE(std::filesystem::exists(path(absl::StrCat("f/", i))));
}

TEST_F(FileDiskTest, OperationsOnDifferentNamesOverlapUpToTheThreadCount) {
  {
    PosixFiles setup(dir_ + "/disk");
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(setup.write(absl::StrCat("r", i), "data").ok());
  }
  auto eight_reads = [&](FileDisk& d, Batch& b) {
    d.set_added_latency(20ms);  // makes overlap certain; nothing here measures time
    for (int i = 0; i < 8; ++i) {
      b.add();
      d.read(absl::StrCat("r", i), expect_read(b, "data"));
    }
  };
  run(eight_reads);
  size_t most = 0;
  rt_->run_sync([&] { most = disk_->max_in_flight(); });
  EXPECT_GT(most, 1u);
  EXPECT_LE(most, 8u);

  make(1);  // one I/O thread: one operation at a time
  run(eight_reads);
  rt_->run_sync([&] { most = disk_->max_in_flight(); });
  EXPECT_EQ(most, 1u);
}

TEST_F(FileDiskTest, DescriptorEvictionUnderConcurrentUseLosesNoBytes) {
  const size_t names = 3 * PosixFiles::kMaxOpenFiles;
  std::vector<std::string> want(names);
  run([&](FileDisk& d, Batch& b) {
    for (int round = 0; round < 10; ++round) {
      for (size_t n = 0; n < names; ++n) {
        const std::string name = absl::StrCat("e/", n);
        const std::string piece = absl::StrCat("[", n, ".", round, "]");
        b.add();
        d.append(name, piece, ok(b));
        want[n] += piece;
        // Read back what is there so far: read descriptors are kept and evicted too.
        b.add();
        d.read_range(name, 0, want[n].size(), expect_read(b, want[n]));
      }
      b.add();
      d.sync(absl::StrCat("e/", round), ok(b));
    }
  });
  PosixFiles check(dir_ + "/disk");
  for (size_t n = 0; n < names; ++n) {
    EXPECT_EQ(check.read(absl::StrCat("e/", n)).value_or("?"), want[n]) << n;
  }
}

TEST_F(FileDiskTest, AFailureCompletesOnlyItsOwnOperation) {
  std::vector<std::string> events;
  run([&](FileDisk& d, Batch& b) {
    auto note = [&](std::string what) {
      return [&, what](const auto& r) {
        events.push_back(absl::StrCat(what, ":", absl::StatusCodeToString(status_of(r).code())));
        b.done();
      };
    };
    b.add();
    d.write("ok", "12345", note("write"));
    b.add();
    d.read("missing", note("read-missing"));
    b.add();
    d.read_range("ok", 3, 10, note("read-past-end"));
    b.add();
    d.rename("missing", "elsewhere", note("rename-missing"));
    b.add();
    d.read_range("ok", 1, 4, note("read-ok"));
    b.add();
    d.append("../bad", "x", note("append-bad-name"));
    b.add();
    d.append("ok", "6", note("append"));
  });
  std::sort(events.begin(), events.end());
  EXPECT_EQ(events, (std::vector<std::string>{"append-bad-name:INVALID_ARGUMENT", "append:OK",
                                              "read-missing:NOT_FOUND", "read-ok:OK",
                                              "read-past-end:OUT_OF_RANGE",
                                              "rename-missing:NOT_FOUND", "write:OK"}));
  EXPECT_EQ(PosixFiles(dir_ + "/disk").read("ok").value_or("?"), "123456");
}

// The node setting that sizes the disk's threads: read from the config, bounded.
TEST(NodeConfigDiskThreads, IsReadWithItsDefaultAndBounds) {
  EXPECT_EQ(NodeConfig{}.disk_threads, AsioRuntime::kDefaultDiskThreads);
  auto c = parse_node_config("node: 1\ndata_dir: /tmp/x\ndisk_threads: 3\n", "n1.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->disk_threads, 3);
  auto zero = parse_node_config("node: 1\ndata_dir: /tmp/x\ndisk_threads: 0\n", "n1.yaml");
  EXPECT_EQ(zero.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(zero.status().message().find("n1.yaml:3"), std::string::npos) << zero.status();
}

}  // namespace
}  // namespace cairn::real
