// A role added by registration alone: a "beacon" role defined in this file (its options,
// its service, its RoleInfo) is registered in a copy of the built-in table, and cairn-sim
// parses a scenario that lists it, reads its settings section with the shared strict
// reader, and runs it beside the built-in roles — no runner code knows its name. Also the
// registry's own rules.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/base/assert.h"
#include "core/roles/builtin.h"
#include "core/runtime/role.h"
#include "core/wire/message_types.h"
#include "runtime-sim/fork_runner.h"
#include "runtime-sim/world.h"

namespace cairn::sim {
namespace {

// Sends a beacon to every other node of the role every `period`, and logs what arrives.
struct BeaconOptions final : RoleOptionsBase<BeaconOptions> {
  Duration period = std::chrono::seconds(1);
  int64_t burst = 1;
  void visit(SettingsVisitor& v) override {
    v.duration("period", period);
    v.count("burst", burst, 1, 10);
  }
  absl::Status validate() const override {
    if (period <= Duration(0)) return absl::InvalidArgumentError("period must be positive");
    return absl::OkStatus();
  }
};

class Beacon final : public Service {
 public:
  Beacon(Runtime& rt, BeaconOptions o, std::vector<NodeId> peers)
      : rt_(rt), o_(o), peers_(std::move(peers)) {}
  std::vector<MessageType> message_types() const override { return {wire::kTestProbe}; }
  void start() override {
    rt_.after(o_.period, [this] { beat(); });
  }
  void on_message(NodeId from, const Message&) override {
    rt_.log().event(Event{"beacon", {{"from", int64_t{from}}}});
  }

 private:
  void beat() {
    for (NodeId p : peers_) {
      if (p == rt_.self()) continue;
      for (int64_t i = 0; i < o_.burst; ++i) rt_.send(p, Message{.type = wire::kTestProbe});
    }
    rt_.after(o_.period, [this] { beat(); });
  }
  Runtime& rt_;
  BeaconOptions o_;
  std::vector<NodeId> peers_;
};

RoleInfo beacon_role() {
  RoleInfo r;
  r.name = "beacon";
  r.summary = "a test role";
  r.settings = "beacon";
  r.peer_types = {wire::kTestProbe};
  r.make_options = [] { return std::make_unique<BeaconOptions>(); };
  r.install = [](Node& node, const RoleContext& ctx, const RoleOptions* options) {
    const auto* o = dynamic_cast<const BeaconOptions*>(options);
    CAIRN_ASSERT(o != nullptr);
    return node.add(std::make_unique<Beacon>(ctx.runtime, *o, ctx.members("beacon")));
  };
  return r;
}

RoleRegistry with_beacon() {
  RoleRegistry r = builtin_roles();
  const absl::Status st = r.add(beacon_role());
  CAIRN_ASSERT(st.ok());
  return r;
}

constexpr char kScenario[] = R"(name: beacons
duration: 10s
platform:
  nodes: [{count: 2, roles: [membership, beacon]}, {count: 1, roles: [membership]}]
beacon:
  period: 2s
  burst: 3
)";

TEST(RoleRegistration, ANewRoleRunsInTheSimulatorByRegistrationAlone) {
  const RoleRegistry roles = with_beacon();
  absl::StatusOr<Scenario> s = parse_scenario_text(kScenario, "beacons.yaml", roles);
  ASSERT_TRUE(s.ok()) << s.status();
  const auto* o = dynamic_cast<const BeaconOptions*>(s->roles.find("beacon"));
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->period, std::chrono::seconds(2));
  EXPECT_EQ(o->burst, 3);

  const std::string dir = ::testing::TempDir() + "/beacons";
  std::filesystem::remove_all(dir);
  RunOptions options;
  options.out_dir = dir;
  options.roles = &roles;
  absl::StatusOr<RunResult> r = run_scenario_in_child(*s, options);
  ASSERT_TRUE(r.ok()) << r.status();
  // n1 and n2 beacon each other 3 times at 2, 4, 6 and 8 s (10 s is the end); n3 holds
  // no beacon role and neither sends nor is sent one.
  std::ifstream events(dir + "/events.jsonl");
  std::string line;
  std::map<std::string, int> received;
  while (std::getline(events, line)) {
    if (line.find("\"kind\":\"beacon\"") == std::string::npos) continue;
    const size_t at = line.find("\"node\":\"");
    ++received[line.substr(at + 8, line.find('"', at + 8) - at - 8)];
  }
  EXPECT_EQ(received, (std::map<std::string, int>{{"n1", 12}, {"n2", 12}}));
  std::filesystem::remove_all(dir);
}

TEST(RoleRegistration, ItsSettingsAreReadStrictlyAndUnknownRolesStayUnknown) {
  const RoleRegistry roles = with_beacon();
  auto bad = parse_scenario_text(std::string(kScenario) + "  peroid: 1s\n", "b.yaml", roles);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find("b.yaml:8: unknown key 'peroid' in beacon"),
            std::string::npos)
      << bad.status();
  bad = parse_scenario_text(
      std::string(kScenario).replace(std::string(kScenario).find("burst: 3"), 8, "burst: 30"),
      "b.yaml", roles);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find("b.yaml:7: burst must be in [1, 10]"),
            std::string::npos)
      << bad.status();
  // Without the registration the same file names an unknown role.
  auto unknown = parse_scenario_text(kScenario, "b.yaml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(std::string(unknown.status().message()).find("unknown"), std::string::npos)
      << unknown.status();
}

TEST(RoleRegistration, TheRegistryRefusesClashes) {
  RoleRegistry roles = with_beacon();
  RoleInfo again = beacon_role();
  EXPECT_TRUE(absl::IsAlreadyExists(roles.add(again)));  // same name
  again.name = "beacon2";
  again.settings = "beacon2";
  EXPECT_TRUE(absl::IsAlreadyExists(roles.add(again)));  // same message type
  again.peer_types = {};
  again.settings = "beacon";
  EXPECT_TRUE(absl::IsAlreadyExists(roles.add(again)));  // same settings section
  again.settings = "beacon2";
  again.install = nullptr;
  EXPECT_TRUE(absl::IsInvalidArgument(roles.add(again)));
  EXPECT_EQ(roles.find("beacon2"), nullptr);
  // Client-endpoint roles never share an endpoint, so they may read the same answers.
  RoleInfo client = beacon_role();
  client.name = "beacon_client";
  client.settings = "";
  client.client_endpoint = true;
  client.peer_types = {0x7F01};  // a type no node role serves
  ASSERT_TRUE(roles.add(client).ok());
  client.name = "beacon_client2";
  EXPECT_TRUE(roles.add(client).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(roles.add(beacon_role())));
  EXPECT_NE(roles.find_section("raft"), nullptr);
  EXPECT_EQ(roles.find_section("raft")->name, "meta");
}

}  // namespace
}  // namespace cairn::sim
