// The `grpc:` section of a node config (runtime-real/host/config.h): what it sets, and
// every mistake reported as file:line.
#include <gtest/gtest.h>

#include <string>

#include "runtime-real/host/config.h"

namespace cairn::real {
namespace {

const std::string kBase = "node: 1\ndata_dir: /tmp/x\n";

TEST(GatewayConfig, OffUnlessGiven) {
  auto c = parse_node_config(kBase, "n1.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->grpc.has_value());
  EXPECT_TRUE(c->grpc_cluster.empty());
}

TEST(GatewayConfig, ListenAndCluster) {
  auto c = parse_node_config(
      kBase + "grpc: {listen: 127.0.0.1:7301, cluster: [127.0.0.1:7201, 10.0.0.2:7202]}\n",
      "n1.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(c->grpc.has_value());
  EXPECT_EQ(c->grpc->port, 7301);
  ASSERT_EQ(c->grpc_cluster.size(), 2u);
  EXPECT_EQ(c->grpc_cluster[1].host, "10.0.0.2");
  EXPECT_EQ(c->grpc_cluster[1].port, 7202);
}

TEST(GatewayConfig, DataPlane) {
  auto c = parse_node_config(kBase + "grpc: {listen: 127.0.0.1:7301}\n", "n1.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->grpc_data_listen.port, 0);
  EXPECT_TRUE(c->grpc_shared_memory);
  EXPECT_EQ(c->grpc_token_ttl_ms, 60000);
  c = parse_node_config(kBase +
                            "grpc: {listen: 127.0.0.1:7301, data_listen: 127.0.0.1:7401, "
                            "shared_memory: false, token_ttl: 250ms}\n",
                        "n1.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->grpc_data_listen.port, 7401);
  EXPECT_FALSE(c->grpc_shared_memory);
  EXPECT_EQ(c->grpc_token_ttl_ms, 250);
}

TEST(GatewayConfig, MistakesNameTheLine) {
  const std::pair<std::string, std::string> cases[] = {
      {"grpc: {cluster: [127.0.0.1:7201]}\n", "n1.yaml:3: 'grpc' needs 'listen'"},
      {"grpc: {listen: 127.0.0.1:7301, port: 1}\n", "n1.yaml:3: unknown key 'port' in grpc"},
      {"grpc: {listen: nowhere}\n", "n1.yaml:3: 'listen': "},
      {"grpc: {listen: 127.0.0.1:7301, cluster: 127.0.0.1:7201}\n",
       "n1.yaml:3: 'cluster' must be a list"},
      {"grpc: {listen: 127.0.0.1:7301, token_ttl: 0s}\n",
       "n1.yaml:3: 'token_ttl' must be at least 1ms"},
  };
  for (const auto& [text, want] : cases) {
    auto c = parse_node_config(kBase + text, "n1.yaml");
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(c.status().message()).rfind(want, 0), 0u)
        << text << " gave " << c.status().message();
  }
}

}  // namespace
}  // namespace cairn::real
