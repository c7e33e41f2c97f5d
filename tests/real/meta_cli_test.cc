// `cairn kv` against real cairnd processes, and the `meta` config section: the happy
// paths and exit codes (0 done, 1 no leader in time, 2 bad usage, 3 not found / cas
// mismatch), redirects from followers to the leader, and config errors as file:line.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime-real/host/config.h"
#include "tests/real/meta_cluster.h"
#include "tests/real/process.h"

namespace cairn::real {
namespace {

using namespace std::chrono_literals;
using testing::run_capture;
using testing::wait_until;

struct CliRun {
  int code = -1;
  std::string out;  // stdout and stderr
  std::chrono::milliseconds took{0};
};

CliRun cairn(const std::vector<std::string>& args) {
  std::string cmd = absl::StrCat("'", CAIRN_CLI_PATH, "'");
  for (const auto& a : args) absl::StrAppend(&cmd, " '", a, "'");
  const auto t0 = std::chrono::steady_clock::now();
  CliRun r;
  r.out = run_capture({"/bin/sh", "-c", cmd + " 2>&1"}, &r.code);
  r.took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  return r;
}

std::string peer_list(const testing::MetaCluster& c, const std::vector<int>& order) {
  std::vector<std::string> parts;
  for (int i : order) parts.push_back(absl::StrCat("127.0.0.1:", c.client_port(i)));
  return absl::StrJoin(parts, ",");
}

TEST(CairnKv, BadUsageExitsTwo) {
  EXPECT_EQ(cairn({"kv"}).code, 2);
  EXPECT_EQ(cairn({"kv", "put", "only-a-key"}).code, 2);
  EXPECT_EQ(cairn({"kv", "frobnicate", "k"}).code, 2);
  const CliRun bad_peer = cairn({"kv", "get", "k", "--peer", "no-port-here"});
  EXPECT_EQ(bad_peer.code, 2);
  EXPECT_NE(bad_peer.out.find("--peer"), std::string::npos) << bad_peer.out;
  EXPECT_EQ(cairn({"kv", "get", "k", "--timeout", "0s"}).code, 2);
  EXPECT_EQ(cairn({"kv", "get", "k", "--timeout", "soon"}).code, 2);
}

TEST(CairnKv, NobodyListeningExitsOneWithinTheTimeout) {
  const auto ports = testing::pick_listen_ports(2);
  const CliRun r =
      cairn({"kv", "put", "k", "v", "--peer",
             absl::StrCat("127.0.0.1:", ports[0], ",127.0.0.1:", ports[1]), "--timeout", "400ms"});
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("no answer from a leader within 400 ms"), std::string::npos) << r.out;
  EXPECT_LT(r.took, 3s);  // the timeout plus process start, on a loaded machine
}

TEST(CairnKv, PutGetCasDelFollowRedirectsAndSayWhatHappened) {
  char tmpl[] = "/tmp/cairn-kvcli-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  testing::MetaClusterOptions options;
  options.cairnd = CAIRND_PATH;
  testing::MetaCluster c(tmpl, options);
  c.start_all();
  int leader = 0;
  ASSERT_TRUE(wait_until(10s, [&] { return (leader = c.leader()) != 0; })) << tmpl;
  // The followers first: the CLI must be redirected to the leader.
  std::vector<int> order;
  for (int i = 1; i <= 3; ++i) {
    if (i != leader) order.push_back(i);
  }
  order.push_back(leader);
  const std::string peers = peer_list(c, order);
  auto kv = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "kv");
    args.insert(args.end(), {"--peer", peers});
    return cairn(args);
  };
  CliRun r = kv({"get", "colour"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.out, "cairn: colour: not found\n");  // on stderr (merged here)
  r = kv({"put", "colour", "blue"});
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, "ok\n");
  r = kv({"get", "colour"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "blue");  // exactly the value: stdout is not a terminal
  r = kv({"cas", "colour", "red", "green"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.out, "cairn: cas failed, found: blue\n");
  r = kv({"cas", "colour", "blue", "green"});
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(kv({"get", "colour"}).out, "green");
  EXPECT_EQ(kv({"del", "colour"}).out, "deleted\n");
  r = kv({"del", "colour"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.out, "cairn: colour: not found\n");

  // Without a quorum no leader can answer: exit 1 once the timeout has passed.
  for (int i : order) {
    if (i != leader) {
      ASSERT_TRUE(c.kill9(i));
    }
  }
  r = kv({"put", "colour", "grey", "--timeout", "1s"});
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("no answer from a leader"), std::string::npos) << r.out;
  EXPECT_TRUE(c.stop_all());
  if (!HasFailure()) std::filesystem::remove_all(tmpl);
}

TEST(MetaConfig, ParsesDefaultsAndRejectsMistakesWithFileAndLine) {
  const std::string base =
      "node: 1\ndata_dir: /tmp/x\nroles: [meta]\npeers:\n  - {node: 2, address: h:1}\n";
  auto ok = parse_node_config(
      base + "raft: {tick: 5ms, election_timeout: [100ms, 200ms], voters: [1, n2]}\n", "n1.yaml");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->meta().raft.tick, std::chrono::milliseconds(5));
  EXPECT_EQ(ok->meta().raft.election_timeout_min, std::chrono::milliseconds(100));
  EXPECT_EQ(ok->meta().raft.voters, (std::vector<NodeId>{1, 2}));
  EXPECT_EQ(ok->client.port, 7201);

  auto error = [&](const std::string& text) {
    auto c = parse_node_config(text, "n1.yaml");
    return c.ok() ? std::string("accepted") : std::string(c.status().message());
  };
  EXPECT_EQ(error(base + "raft: {tik: 5ms}\n").rfind("n1.yaml:6: unknown key 'tik' in raft", 0),
            0u);
  EXPECT_EQ(error(base + "raft: {voters: [1, 7]}\n"),
            "n1.yaml:6: voter n7 is neither this node nor a peer");
  EXPECT_EQ(error(base + "raft:\n  heartbeat: 500ms\n"),
            "n1.yaml:7: election_timeout must be longer than heartbeat");
  EXPECT_EQ(error(base + "raft: {lease_reads: maybe}\n"),
            "n1.yaml:6: lease_reads must be true or false");
  EXPECT_EQ(error("node: 1\ndata_dir: /x\nraft: {tick: 5ms}\n"),
            "n1.yaml:3: 'raft' given but 'meta' is no role of this node");
  EXPECT_EQ(error(base + "meta: {tick: 5ms}\n"),
            "n1.yaml:6: the 'meta' section is now 'raft' (see docs/settings.md)");
  EXPECT_EQ(error("node: 1\ndata_dir: /x\nroles: [meta, meta]\n"),
            "n1.yaml:3: role 'meta' listed twice");
}

}  // namespace
}  // namespace cairn::real
