// `cairn bench` against a 1-node `cairnd dev`: bad options refused with exit 2 (as JSON with
// --json), an unreachable cluster reported with exit 1, and tiny put, get and meta runs whose
// --json output, parsed back, counts exactly the operations and bytes asked for, with
// percentiles in order and no errors.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "tests/real/process.h"

namespace cairn::real {
namespace {

using namespace std::chrono_literals;

struct CliRun {
  int code = -1;
  std::string out;
};

class BenchCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/cairn-benchcli-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = new std::string(tmpl);
    // `cairnd dev --port P` takes P+1 (frames), P+101 (HTTP) and P+201 (clients).
    for (int attempt = 0; attempt < 20 && base_ == 0; ++attempt) {
      const uint16_t p = testing::free_ports(1)[0];
      if (p < 2 || p > 65000) continue;
      const uint16_t base = p - 1;
      if (testing::port_is_free(base + 101) && testing::port_is_free(base + 201)) base_ = base;
    }
    ASSERT_NE(base_, 0);
    pid_ = testing::spawn({CAIRND_PATH, "dev", "--nodes", "1", "--port", std::to_string(base_),
                           "--data-dir", *dir_ + "/data", "--log-level", "warn"},
                          *dir_ + "/cairnd.log");
    ASSERT_TRUE(testing::wait_until(20s, [] {
      int code = -1;
      testing::run_capture({CAIRN_CLI_PATH, "ls", "/", "--peer", peer(), "--timeout", "1s"}, &code);
      return code == 0;
    })) << testing::read_whole_file(*dir_ + "/cairnd.log");
  }
  static void TearDownTestSuite() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      testing::wait_exit(pid_, 10s);
    }
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  static std::string peer() { return absl::StrCat("127.0.0.1:", base_ + 201); }

  static CliRun bench(std::vector<std::string> args) {
    args.insert(args.begin(), {CAIRN_CLI_PATH, "bench"});
    CliRun r;
    r.out = testing::run_capture(args, &r.code);
    return r;
  }
  static CliRun bench_here(std::vector<std::string> args) {
    args.insert(args.end(), {"--peer", peer(), "--json"});
    return bench(std::move(args));
  }

  static google::protobuf::Struct json(const std::string& text) {
    google::protobuf::Struct s;
    const auto st = google::protobuf::util::JsonStringToMessage(text, &s);
    EXPECT_TRUE(st.ok()) << st.ToString() << " in " << text;
    return s;
  }
  static double number(const google::protobuf::Struct& s, const std::string& name) {
    auto it = s.fields().find(name);
    EXPECT_TRUE(it != s.fields().end() && it->second.has_number_value()) << name;
    return it == s.fields().end() ? -1 : it->second.number_value();
  }
  // The counts and order every successful run must show.
  static void expect_clean(const google::protobuf::Struct& s, double ops, double bytes) {
    EXPECT_EQ(number(s, "ops"), ops);
    EXPECT_EQ(number(s, "failed"), 0);
    EXPECT_EQ(number(s, "bytes"), bytes);
    EXPECT_EQ(s.fields().at("errors").struct_value().fields_size(), 0);
    EXPECT_GT(number(s, "p50_ms"), 0);
    EXPECT_LE(number(s, "p50_ms"), number(s, "p90_ms"));
    EXPECT_LE(number(s, "p90_ms"), number(s, "p99_ms"));
    EXPECT_LE(number(s, "p99_ms"), number(s, "max_ms"));
    EXPECT_GT(number(s, "ops_per_s"), 0);
  }

  static inline std::string* dir_ = nullptr;
  static inline uint16_t base_ = 0;
  static inline pid_t pid_ = -1;
};

TEST_F(BenchCli, BadOptionsExitTwoWithTheReason) {
  for (const auto& [option, value] :
       std::vector<std::pair<std::string, std::string>>{{"--workload", "delete"},
                                                        {"--size", "lots"},
                                                        {"--clients", "0"},
                                                        {"--duration", "-1s"},
                                                        {"--dir", "relative"},
                                                        {"--chunk-size", "1TiB"},
                                                        {"--peer", "nowhere"}}) {
    CliRun r = bench({option, value, "--json"});
    EXPECT_EQ(r.code, 2) << option << " " << value << ": " << r.out;
    auto s = json(r.out);
    EXPECT_EQ(number(s, "code"), 2) << r.out;
    EXPECT_NE(s.fields().at("error").string_value(), "") << r.out;
  }
}

TEST_F(BenchCli, UnreachableClusterExitsOne) {
  const uint16_t nobody = testing::free_ports(1)[0];
  CliRun r = bench(
      {"--peer", absl::StrCat("127.0.0.1:", nobody), "--timeout", "300ms", "--ops", "1", "--json"});
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_EQ(number(json(r.out), "code"), 1) << r.out;
}

TEST_F(BenchCli, PutCountsEveryOperationAndByte) {
  CliRun r = bench_here({"--workload", "put", "--size", "4KiB", "--clients", "2", "--ops", "6"});
  ASSERT_EQ(r.code, 0) << r.out;
  auto s = json(r.out);
  expect_clean(s, 6, 6 * 4096);
  EXPECT_EQ(s.fields().at("workload").string_value(), "put");
  EXPECT_EQ(number(s, "clients"), 2);
  // The files are there: two client directories under the run's directory.
  int code = -1;
  const std::string ls = testing::run_capture(
      {CAIRN_CLI_PATH, "ls", s.fields().at("dir").string_value(), "--peer", peer()}, &code);
  EXPECT_EQ(code, 0);
  EXPECT_NE(ls.find("c0/"), std::string::npos) << ls;
  EXPECT_NE(ls.find("c1/"), std::string::npos) << ls;
}

TEST_F(BenchCli, GetReadsWholeFiles) {
  CliRun r = bench_here({"--workload", "get", "--size", "1000", "--files", "2", "--ops", "5"});
  ASSERT_EQ(r.code, 0) << r.out;
  expect_clean(json(r.out), 5, 5 * 1000);
}

TEST_F(BenchCli, MetaStatsAndLists) {
  CliRun r = bench_here({"--workload", "meta", "--files", "3", "--clients", "1", "--ops", "20"});
  ASSERT_EQ(r.code, 0) << r.out;
  expect_clean(json(r.out), 20, 0);
}

TEST_F(BenchCli, DurationRunsAtLeastThatLong) {
  CliRun r = bench_here({"--duration", "1s", "--size", "100"});
  ASSERT_EQ(r.code, 0) << r.out;
  auto s = json(r.out);
  EXPECT_GE(number(s, "seconds"), 1.0);
  EXPECT_GE(number(s, "ops"), 1);
  EXPECT_EQ(number(s, "bytes"), 100 * number(s, "ops"));
}

TEST_F(BenchCli, PlainOutputNamesThePercentiles) {
  CliRun r = bench({"--peer", peer(), "--ops", "3", "--size", "10"});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("3 ops ok, 0 failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("p99"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace cairn::real
