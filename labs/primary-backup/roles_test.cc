// The lab's roles are registered like any role: beside the built-in ones, read by the
// same scenario reader, and the key-value clients of a scenario talk to whichever role
// serves their protocol (pb here, meta in the Raft scenarios).
#include <gtest/gtest.h>

#include <algorithm>

#include "core/wire/message_types.h"
#include "labs/labs.h"
#include "runtime-sim/scenario.h"

namespace cairn::labs::pb {
namespace {

constexpr char kScenario[] = R"(name: pb
duration: 10s
platform:
  nodes: [{count: 1, roles: [pb_view]}, {count: 3, roles: [pb]}]
workload: {clients: 2, keys: 1}
pb_view: {phi_threshold: 5}
checks:
  linearizable: {}
)";

TEST(PrimaryBackupRoles, RegisterBesideTheBuiltInOnesAndServeKeyValueClients) {
  const RoleRegistry roles = roles_with_labs();
  ASSERT_NE(roles.find("pb"), nullptr);
  ASSERT_NE(roles.find("pb_view"), nullptr);
  ASSERT_NE(roles.find("meta"), nullptr);
  // pb and meta are two servers of one client protocol.
  for (const char* name : {"pb", "meta"}) {
    const auto& t = roles.find(name)->client_types;
    EXPECT_NE(std::find(t.begin(), t.end(), wire::kKvRequest), t.end()) << name;
  }
  auto s = sim::parse_scenario_text(kScenario, "pb.yaml", roles);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->kv_server_roles, (std::vector<std::string>{"meta", "pb"}));
  EXPECT_EQ(s->kv_server_ids(), (std::vector<NodeId>{2, 3, 4}));
  EXPECT_TRUE(s->meta_ids().empty());
  EXPECT_TRUE(sim::validate(*s).ok()) << sim::validate(*s);
}

TEST(PrimaryBackupRoles, ClientsWithoutServersAndUnknownOptionsAreRefused) {
  const RoleRegistry roles = roles_with_labs();
  std::string text = kScenario;
  text.replace(text.find("roles: [pb]}"), 12, "roles: [pb_view]}");
  auto s = sim::parse_scenario_text(text, "pb.yaml", roles);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.status().message())
                .find("pb.yaml:8: linearizable needs nodes with role meta or pb"),
            std::string::npos)
      << s.status();
  text = kScenario;
  text.replace(text.find("phi_threshold"), 13, "phi_treshold");
  auto bad = sim::parse_scenario_text(text, "pb.yaml", roles);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find("pb.yaml:6: unknown key 'phi_treshold'"),
            std::string::npos)
      << bad.status();
}

}  // namespace
}  // namespace cairn::labs::pb
