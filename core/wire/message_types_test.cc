#include "core/wire/message_types.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace cairn::wire {
namespace {

TEST(MessageTypes, EveryTypeHasItsOwnName) {
  const MessageType all[] = {
      kHeartbeat,        kGossip,        kSyncRequest,   kSyncResponse,    kRaftMessage,
      kKvRequest,        kKvResponse,    kAdminRequest,  kAdminResponse,   kShardRequest,
      kShardPutFrame,    kShardControl,  kShardResponse, kShardGetFrame,   kShardPutCredit,
      kChunkRequest,     kChunkResponse, kNsRequest,     kNsResponse,      kShardRebuild,
      kShardRebuildDone, kNodeStat,      kNodeStatDone,  kPlacementUpdate, kShardWorking};
  std::set<std::string> names;
  for (MessageType t : all) {
    const std::string name(message_type_name(t));
    EXPECT_NE(name, "unknown") << t;
    EXPECT_TRUE(names.insert(name).second) << "two types named " << name;
  }
  EXPECT_EQ(message_type_name(0x0999), "unknown");
  EXPECT_EQ(message_type_name(0xFF02), "transport_control");
}

}  // namespace
}  // namespace cairn::wire
