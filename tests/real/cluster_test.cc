// Three cairnd processes on loopback: kill -9 one, the others declare it dead within the
// bound; restart it, it is alive again in every view; after a clean shutdown no port and
// no shared-memory segment is left behind. Waits poll /membership with deadlines.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "runtime-real/host/http_server.h"
#include "tests/real/process.h"

namespace cairn::real {
namespace {

using namespace std::chrono_literals;
using testing::free_ports;
using testing::wait_until;

constexpr int kNodes = 3;
// Heartbeats every 100 ms; phi 8 with a 50 ms floor on the deviation gives a deadline of
// ~0.4 s after the last heartbeat, then 0.4 s of suspicion, then a few gossip rounds.
// The bound adds slack for a loaded 2-core CI machine.
constexpr auto kDetectBound = 4s;
constexpr auto kStartBound = 10s;

class Cluster {
 public:
  explicit Cluster(std::string dir) : dir_(std::move(dir)) {
    const auto ports = free_ports(2 * kNodes);
    for (int i = 0; i < kNodes; ++i) {
      frame_port_[i + 1] = ports[i];
      http_port_[i + 1] = ports[kNodes + i];
    }
    for (int i = 1; i <= kNodes; ++i) write_config(i);
  }

  void write_config(int i) {
    std::ofstream(config(i)) << testing::membership_node_config(
        i, frame_port_, http_port_, dir_, "info",
        "{heartbeat: 100ms, suspect_timeout: 400ms, min_std_dev: 50ms, monitors: 2, "
        "anti_entropy: 1s}");
  }

  std::string config(int i) const { return absl::StrCat(dir_, "/n", i, ".yaml"); }
  void start(int i) {
    pid_[i] =
        testing::spawn({CAIRND_PATH, "--config", config(i)}, absl::StrCat(dir_, "/n", i, ".log"));
  }
  pid_t pid(int i) const { return pid_.at(i); }
  uint16_t http_port(int i) const { return http_port_.at(i); }
  uint16_t frame_port(int i) const { return frame_port_.at(i); }

  // "alive" / "suspect" / "dead" as node `viewer` sees `subject`, or "" if unreachable.
  std::string state(int viewer, int subject) const {
    return testing::member_state(http_port_.at(viewer), subject);
  }
  bool all_alive() const {
    for (int v = 1; v <= kNodes; ++v) {
      for (int s = 1; s <= kNodes; ++s) {
        if (state(v, s) != "alive") return false;
      }
    }
    return true;
  }

 private:
  std::string dir_;
  std::map<int, uint16_t> frame_port_;
  std::map<int, uint16_t> http_port_;
  std::map<int, pid_t> pid_;
};

bool shm_segments_of(pid_t pid) {
  DIR* d = ::opendir("/dev/shm");
  if (d == nullptr) return false;
  bool found = false;
  const std::string prefix = absl::StrCat("cairn-", pid, "-");
  while (dirent* e = ::readdir(d)) found |= std::string(e->d_name).starts_with(prefix);
  ::closedir(d);
  return found;
}

TEST(RealCluster, KillNineIsDetectedAndRestartRejoins) {
  char tmpl[] = "/tmp/cairn-real-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  Cluster c(tmpl);
  for (int i = 1; i <= kNodes; ++i) c.start(i);
  std::vector<pid_t> pids;
  for (int i = 1; i <= kNodes; ++i) pids.push_back(c.pid(i));

  ASSERT_TRUE(wait_until(kStartBound, [&] { return c.all_alive(); }))
      << "cluster never converged to all-alive; logs in " << tmpl;

  ASSERT_EQ(::kill(c.pid(3), SIGKILL), 0);
  ASSERT_EQ(testing::wait_exit(c.pid(3), 5s), 128 + SIGKILL);
  const auto killed_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(
      wait_until(kDetectBound, [&] { return c.state(1, 3) == "dead" && c.state(2, 3) == "dead"; }))
      << "n1 sees n3 " << c.state(1, 3) << ", n2 sees " << c.state(2, 3);
  const auto detect_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - killed_at);
  std::printf("n3 declared dead by n1 and n2 %lld ms after kill -9\n",
              static_cast<long long>(detect_ms.count()));
  EXPECT_EQ(c.state(1, 2), "alive");  // the survivors do not suspect each other

  c.start(3);
  pids.push_back(c.pid(3));
  ASSERT_TRUE(wait_until(kStartBound, [&] { return c.all_alive(); }))
      << "n3 did not rejoin; logs in " << tmpl;

  for (int i = 1; i <= kNodes; ++i) ASSERT_EQ(::kill(c.pid(i), SIGTERM), 0);
  for (int i = 1; i <= kNodes; ++i) EXPECT_EQ(testing::wait_exit(c.pid(i), 10s), 0) << "n" << i;
  for (int i = 1; i <= kNodes; ++i) {
    EXPECT_TRUE(testing::port_is_free(c.frame_port(i))) << c.frame_port(i);
    EXPECT_TRUE(testing::port_is_free(c.http_port(i))) << c.http_port(i);
  }
  for (pid_t p : pids) EXPECT_FALSE(shm_segments_of(p)) << "segments of pid " << p;
  if (!HasFailure()) std::filesystem::remove_all(tmpl);
}

TEST(RealCluster, StatusCommandPrintsTheView) {
  char tmpl[] = "/tmp/cairn-real-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  Cluster c(tmpl);
  for (int i = 1; i <= kNodes; ++i) c.start(i);
  ASSERT_TRUE(wait_until(kStartBound, [&] { return c.all_alive(); }));
  int code = -1;
  const std::string out = testing::run_capture(
      {CAIRN_CLI_PATH, "status", "--peer", absl::StrCat("127.0.0.1:", c.http_port(2))}, &code);
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find("as seen by n2"), std::string::npos) << out;
  EXPECT_NE(out.find("n3 alive"), std::string::npos) << out;
  for (int i = 1; i <= kNodes; ++i) ::kill(c.pid(i), SIGTERM);
  for (int i = 1; i <= kNodes; ++i) EXPECT_EQ(testing::wait_exit(c.pid(i), 10s), 0);
  if (!HasFailure()) std::filesystem::remove_all(tmpl);
}

TEST(RealCluster, ConfigErrorsNameFileAndLineAndExitTwo) {
  char tmpl[] = "/tmp/cairn-real-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string path = absl::StrCat(tmpl, "/bad.yaml");
  std::ofstream(path) << "node: 1\ndata_dir: /tmp/x\nmembership:\n  heartbeet: 1s\n";
  int code = -1;
  const std::string out = testing::run_capture(
      {"/bin/sh", "-c", absl::StrCat(CAIRND_PATH, " --config ", path, " 2>&1")}, &code);
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find(path + ":4: unknown key 'heartbeet'"), std::string::npos) << out;
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace cairn::real
