// `cairn kv` as a script uses it, against three real cairnd: values that look like options,
// values with newlines and NUL bytes through stdin and -o, a value at the 1 MiB limit through
// --file, --json parsed back by an independent JSON parser, "not found" as exit 3 with
// nothing on stdout, and a value over the limit refused with the limit named -- by the CLI
// before sending, and by the nodes for a client that sends it anyway, without stalling the
// group's log.
#include <fcntl.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/kv/kv_client.pb.h"
#include "core/kv/kv_limits.h"
#include "core/wire/message_types.h"
#include "runtime-real/transport/client_conn.h"
#include "tests/real/meta_cluster.h"
#include "tests/real/process.h"

extern char** environ;

namespace cairn::real {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

void spill(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

struct CliRun {
  int code = -1;
  std::string out, err;
};

// The cluster and a scratch folder, shared by every test of the suite (starting three
// cairnd costs more than the tests).
class KvCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/cairn-kvcli-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = new std::string(tmpl);
    testing::MetaClusterOptions options;
    options.cairnd = CAIRND_PATH;
    cluster_ = new testing::MetaCluster(*dir_, options);
    cluster_->start_all();
    ASSERT_TRUE(testing::wait_until(10s, [] { return cluster_->leader() != 0; })) << *dir_;
    std::vector<std::string> parts;
    for (int i = 1; i <= cluster_->nodes(); ++i) {
      parts.push_back(absl::StrCat("127.0.0.1:", cluster_->client_port(i)));
    }
    peers_ = new std::string(absl::StrJoin(parts, ","));
  }
  static void TearDownTestSuite() {
    const bool stopped = cluster_->stop_all();
    delete cluster_;
    if (stopped) std::filesystem::remove_all(*dir_);
    delete dir_;
    delete peers_;
  }

  static std::string path(const std::string& name) { return *dir_ + "/" + name; }

  // `cairn kv ARGS --peer ...` (the options before any "--"), stdin from `stdin_path`
  // ("" for /dev/null), stdout and stderr kept apart.
  static CliRun kv(std::vector<std::string> args, const std::string& stdin_path = "") {
    auto dashes = std::find(args.begin(), args.end(), "--");
    dashes = args.insert(dashes, {"--peer", *peers_});
    args.insert(args.begin(), {CAIRN_CLI_PATH, "kv"});
    const std::string out = path("stdout"), err = path("stderr");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    const std::string in = stdin_path.empty() ? "/dev/null" : stdin_path;
    posix_spawn_file_actions_addopen(&fa, 0, in.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    CliRun r;
    if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) == 0) {
      r.code = testing::wait_exit(pid, 30s);
    }
    posix_spawn_file_actions_destroy(&fa);
    r.out = testing::read_whole_file(out);
    r.err = testing::read_whole_file(err);
    return r;
  }

  static google::protobuf::Struct json(const std::string& text) {
    google::protobuf::Struct s;
    const auto st = google::protobuf::util::JsonStringToMessage(text, &s);
    EXPECT_TRUE(st.ok()) << st.ToString() << " in " << text;
    return s;
  }
  static std::string field(const google::protobuf::Struct& s, const std::string& name) {
    auto it = s.fields().find(name);
    if (it == s.fields().end()) return "<absent>";
    const auto& v = it->second;
    if (v.has_bool_value()) return v.bool_value() ? "true" : "false";
    if (v.has_number_value()) return absl::StrCat(v.number_value());
    return v.string_value();
  }

  static inline testing::MetaCluster* cluster_ = nullptr;
  static inline std::string* dir_ = nullptr;
  static inline std::string* peers_ = nullptr;
};

TEST_F(KvCli, AValueStartingWithADashIsStoredAfterDoubleDash) {
  const CliRun plain = kv({"put", "dash", "-x"});
  EXPECT_EQ(plain.code, 2) << "-x without -- is an unknown option: " << plain.err;
  CliRun r = kv({"put", "--", "dash", "-x"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n");
  r = kv({"get", "--", "dash"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "-x");  // not a terminal: the bytes and nothing else
  r = kv({"put", "--", "-dash-key", "--also-a-value"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(kv({"get", "--", "-dash-key"}).out, "--also-a-value");
}

TEST_F(KvCli, NewlinesAndNulBytesRoundTripThroughStdinAndOutputFile) {
  const std::string value = "line 1\nline 2\n\0after nul\r\n\xff\xfe tail\n\n"s;
  spill(path("nl.in"), value);
  CliRun r = kv({"put", "nl", "-"}, path("nl.in"));
  ASSERT_EQ(r.code, 0) << r.err;
  r = kv({"get", "nl"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, value);
  r = kv({"get", "nl", "-o", path("nl.out")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(testing::read_whole_file(path("nl.out")), value);
  // cas with the expected value from stdin and the new one from a file.
  spill(path("nl.new"), "second\0value"s);
  r = kv({"cas", "nl", "-", "--file", path("nl.new")}, path("nl.in"));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(kv({"get", "nl"}).out, "second\0value"s);
}

TEST_F(KvCli, AOneMebibyteValueGoesThroughFileAndBack) {
  std::mt19937 rng(20261126);  // pinned: the same bytes every run
  std::string value(kv::kMaxValueBytes, '\0');
  for (char& c : value) c = static_cast<char>(rng());
  spill(path("big.in"), value);
  CliRun r = kv({"put", "big", "--file", path("big.in")});
  ASSERT_EQ(r.code, 0) << r.err;
  r = kv({"get", "big", "-o", path("big.out")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(testing::read_whole_file(path("big.out")) == value) << "the value read back differs";
  r = kv({"get", "big"});
  EXPECT_EQ(r.out.size(), value.size());
  EXPECT_TRUE(r.out == value);
  // A cas at both limits at once (expected and new, 1 MiB each) fits the frames too.
  std::string other = value;
  other[0] = static_cast<char>(other[0] ^ 1);
  spill(path("big.other"), other);
  r = kv({"cas", "big", "--expected-file", path("big.in"), "--file", path("big.other")});
  EXPECT_EQ(r.code, 0) << r.err;
  r = kv({"get", "big", "-o", path("big.out")});
  EXPECT_TRUE(testing::read_whole_file(path("big.out")) == other);
}

TEST_F(KvCli, JsonOutputParsesBackToTheBytes) {
  const std::string text = "say \"hi\"\n\ttab \\ back\x01\0nul \xC3\xA9"s;
  spill(path("j.in"), text);
  CliRun r = kv({"put", "j", "-", "--json"}, path("j.in"));
  ASSERT_EQ(r.code, 0) << r.err;
  auto o = json(r.out);
  EXPECT_EQ(field(o, "key"), "j");
  EXPECT_EQ(field(o, "ok"), "true");
  r = kv({"get", "j", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.back(), '\n');
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << "one object, one line";
  o = json(r.out);
  EXPECT_EQ(field(o, "found"), "true");
  EXPECT_EQ(field(o, "value"), text);

  const std::string binary = "\xff\x00\x80 not utf-8"s;
  spill(path("b.in"), binary);
  ASSERT_EQ(kv({"put", "b", "-"}, path("b.in")).code, 0);
  o = json(kv({"get", "b", "--json"}).out);
  EXPECT_EQ(field(o, "value"), "<absent>");
  EXPECT_EQ(field(o, "value_base64"), "/wCAIG5vdCB1dGYtOA==");

  r = kv({"get", "no-such-key", "--json"});
  EXPECT_EQ(r.code, 3);
  o = json(r.out);
  EXPECT_EQ(field(o, "found"), "false");
  r = kv({"cas", "j", "wrong", "new", "--json"});
  EXPECT_EQ(r.code, 3);
  o = json(r.out);
  EXPECT_EQ(field(o, "ok"), "false");
  EXPECT_EQ(field(o, "value"), text);
  r = kv({"get", "k", "--json", "--timeout", "soon"});
  EXPECT_EQ(r.code, 2);
  o = json(r.out);
  EXPECT_EQ(field(o, "code"), "2");
  EXPECT_NE(field(o, "error").find("--timeout"), std::string::npos) << r.out;
  r = kv({"put", "--json", "only-a-key"});  // a usage error, reported as JSON as well
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(field(json(r.out), "code"), "2");
}

TEST_F(KvCli, NotFoundIsExitThreeWithNothingOnStdout) {
  CliRun r = kv({"get", "never-written"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("not found"), std::string::npos) << r.err;
  spill(path("keep.out"), "untouched");
  r = kv({"get", "never-written", "-o", path("keep.out")});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(testing::read_whole_file(path("keep.out")), "untouched")
      << "a failed get must not truncate -o";
  r = kv({"del", "never-written"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.out, "");
  ASSERT_EQ(kv({"put", "c", "blue"}).code, 0);
  r = kv({"cas", "c", "red", "green"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("cas failed, found: blue"), std::string::npos) << r.err;
}

TEST_F(KvCli, AValueOverTheLimitIsRefusedNamingTheLimit) {
  const std::string limit = absl::StrCat(kv::kMaxValueBytes);
  spill(path("over.in"), std::string(kv::kMaxValueBytes + 1, 'v'));
  const auto t0 = std::chrono::steady_clock::now();
  CliRun r = kv({"put", "over", "--file", path("over.in"), "--timeout", "60s"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(limit), std::string::npos) << r.err;
  // Refused before sending, not after waiting out the timeout (the bound is loose on purpose).
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 20s);
  r = kv({"put", "over", "-"}, path("over.in"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(limit), std::string::npos) << r.err;
  r = kv({"put", std::string(kv::kMaxKeyBytes + 1, 'k'), "v"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(absl::StrCat(kv::kMaxKeyBytes)), std::string::npos) << r.err;
  EXPECT_EQ(kv({"get", "over"}).code, 3) << "nothing was stored";
}

// A client that skips the CLI's check: the node refuses the command with KV_INVALID instead
// of logging an entry no follower could be sent (which once stalled every later write).
TEST_F(KvCli, NodesRefuseAnOversizedCommandAndKeepServing) {
  const int leader = cluster_->leader();
  ASSERT_NE(leader, 0);
  auto conn = ClientConn::open({"127.0.0.1", cluster_->client_port(leader)},
                               std::chrono::steady_clock::now() + 5s);
  ASSERT_TRUE(conn.ok()) << conn.status();
  kv::wire::KvRequest req;
  req.set_request_id(7);
  kv::wire::KvCommand& c = *req.mutable_command();
  c.set_op(kv::wire::KV_PUT);
  c.set_client_id(99);
  c.set_sequence(1);
  c.set_key("raw");
  c.set_value(std::string(kv::kMaxValueBytes + 100, 'r'));
  ASSERT_TRUE(
      (*conn)->send(Message{.type = wire::kKvRequest, .header = req.SerializeAsString()}).ok());
  auto m = (*conn)->receive(std::chrono::steady_clock::now() + 5s);
  ASSERT_TRUE(m.ok()) << m.status();
  kv::wire::KvResponse resp;
  ASSERT_TRUE(resp.ParseFromString(m->header));
  EXPECT_EQ(resp.request_id(), 7u);
  EXPECT_EQ(resp.status(), kv::wire::KV_INVALID);
  EXPECT_NE(resp.error().find(absl::StrCat(kv::kMaxValueBytes)), std::string::npos) << resp.error();
  CliRun r = kv({"put", "after", "still-writable", "--timeout", "3s"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(kv({"get", "after"}).out, "still-writable");
}

}  // namespace
}  // namespace cairn::real
