#include <gtest/gtest.h>

#include "core/raft/testing/cluster_harness.h"

namespace cairn::raft::testing {
namespace {

TEST(ClusterHarness, ElectsLeaderAndServesClients) {
  ClusterOptions options;
  options.nodes = 3;
  Cluster cluster(options);
  cluster.run(400);
  EXPECT_NE(cluster.leader(), kNoNode);
  EXPECT_GT(cluster.completed_ops(), 20u);
  EXPECT_TRUE(cluster.write_completes_within(200));
  EXPECT_TRUE(cluster.check_all().empty());
  std::printf("ops %lu leader %lu term %lu commit %lu\n", cluster.completed_ops(), cluster.leader(),
              cluster.node(cluster.leader())->term(),
              cluster.node(cluster.leader())->log().commit());
}

}  // namespace
}  // namespace cairn::raft::testing
