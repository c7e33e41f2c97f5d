// The shared settings reader: role sections filled strictly from YAML, with file-line
// errors, and the same options struct described for docs.
#include "runtime-real/settings/role_settings.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/kv/kv_client.h"
#include "core/kv/roles.h"
#include "core/membership/options.h"
#include "core/roles/builtin.h"

namespace cairn::settings {
namespace {

NodeId any_node(const YAML::Node& n) { return parse_node_id(n); }

// Runs `fn`, returning "line: message" of the ParseError it throws ("" if none).
template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const ParseError& e) {
    return std::to_string(e.line) + ": " + e.message;
  }
  return "";
}

TEST(RoleSettings, ReadsPresentKeysAndKeepsDefaultsForTheRest) {
  const YAML::Node n = YAML::Load("{heartbeat: 200ms, phi_threshold: 6, retransmit_mult: 4}");
  membership::MembershipOptions o;
  read_options(n, "membership", o, any_node);
  EXPECT_EQ(o.heartbeat_interval, std::chrono::milliseconds(200));
  EXPECT_EQ(o.detector.first_interval, std::chrono::milliseconds(200));
  EXPECT_DOUBLE_EQ(o.detector.phi_threshold, 6);
  EXPECT_EQ(o.retransmit_mult, 4u);
  EXPECT_EQ(o.monitors, membership::MembershipOptions{}.monitors);
}

TEST(RoleSettings, RejectsUnknownKeysBadUnitsRangesAndInvalidCombinations) {
  membership::MembershipOptions m;
  EXPECT_EQ(
      error_of([&] { read_options(YAML::Load("\n{heartbet: 1s}"), "membership", m, any_node); }),
      "2: unknown key 'heartbet' in membership (known: heartbeat, monitors, phi_threshold, "
      "window, min_std_dev, acceptable_pause, suspect_timeout, gossip_fanout, "
      "retransmit_mult, anti_entropy, first_contact)");
  EXPECT_NE(error_of([&] {
              read_options(YAML::Load("{heartbeat: 1}"), "membership", m, any_node);
            }).find("needs a unit"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              read_options(YAML::Load("{monitors: 0}"), "membership", m, any_node);
            }).find("monitors must be in [1, 64]"),
            std::string::npos);
  kv::MetaOptions meta;
  EXPECT_NE(error_of([&] {
              read_options(YAML::Load("{heartbeat: 500ms, election_timeout: [150ms, 300ms]}"),
                           "raft", meta, any_node);
            }).find("election_timeout must be longer than heartbeat"),
            std::string::npos);
}

TEST(RoleSettings, NodesAreNamesOrIdsAndGroupsNest) {
  kv::MetaOptions meta;
  read_options(YAML::Load("{voters: [n1, 2, n3], election_timeout: [100ms, 200ms]}"), "raft", meta,
               any_node);
  EXPECT_EQ(meta.raft.voters, (std::vector<NodeId>{1, 2, 3}));
  EXPECT_EQ(meta.raft.election_timeout_max, std::chrono::milliseconds(200));
  EXPECT_NE(error_of([&] {
              read_options(YAML::Load("{voters: [x1]}"), "raft", meta, any_node);
            }).find("expected a node name like n3"),
            std::string::npos);
  kv::KvClientOptions w;
  read_options(YAML::Load("{clients: 2, rate: 5/s, mix: {put: 0.5, get: 0.5, cas: 0}}"), "workload",
               w, any_node);
  EXPECT_EQ(w.clients, 2);
  EXPECT_DOUBLE_EQ(w.workload.rate_per_s, 5);
  EXPECT_DOUBLE_EQ(w.workload.get, 0.5);
  EXPECT_NE(error_of([&] {
              read_options(YAML::Load("{mix: {put: 0.5, scan: 0.5}}"), "workload", w, any_node);
            }).find("unknown key 'scan' in mix"),
            std::string::npos);
}

TEST(RoleSettings, SectionsBelongToRegisteredRoles) {
  const RoleRegistry roles = builtin_roles();
  RoleSettings out;
  const std::set<std::string> used = read_role_sections(
      YAML::Load("{membership: {monitors: 2}, raft: {tick: 5ms, heartbeat: 10ms}, other: 1}"),
      roles, out, any_node);
  EXPECT_EQ(used, (std::set<std::string>{"membership", "raft"}));
  EXPECT_EQ(out.get<membership::MembershipOptions>("membership").monitors, 2u);
  EXPECT_EQ(out.get<kv::MetaOptions>("meta").raft.tick, std::chrono::milliseconds(5));
  EXPECT_EQ(out.find("kv_client"), nullptr);
  // Copies are deep: changing one leaves the other alone.
  RoleSettings copy = out;
  copy.get<membership::MembershipOptions>("membership").monitors = 5;
  EXPECT_EQ(out.get<membership::MembershipOptions>("membership").monitors, 2u);
}

TEST(RoleSettings, DescribeListsEveryKeyWithItsDefault) {
  kv::MetaOptions meta;
  const std::vector<std::string> lines = describe_settings(meta);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "election_timeout: [150ms, 300ms]"), lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(), "max_sessions: 1024"), lines.end());
  kv::KvClientOptions w;
  const std::vector<std::string> wl = describe_settings(w);
  EXPECT_NE(std::find(wl.begin(), wl.end(), "mix.put: 0.5"), wl.end());
}

// docs/settings.md is the users' reference: every key of every built-in role is in it.
TEST(RoleSettings, EveryKeyOfEveryRoleIsDocumented) {
  std::ifstream in(std::string(CAIRN_SOURCE_DIR) + "/docs/settings.md");
  ASSERT_TRUE(in.good());
  std::stringstream doc;
  doc << in.rdbuf();
  const RoleRegistry roles = builtin_roles();
  for (const RoleInfo& role : roles.roles()) {
    if (!role.make_options) continue;
    EXPECT_NE(doc.str().find("## `" + role.settings + "`"), std::string::npos) << role.settings;
    std::unique_ptr<RoleOptions> options = role.make_options();
    for (const std::string& line : describe_settings(*options)) {
      std::string key = line.substr(0, line.find(':'));
      key = key.substr(0, key.find('.'));  // a group's keys are documented with the group
      EXPECT_NE(doc.str().find("| `" + key + "` |"), std::string::npos)
          << role.settings << "." << key << " is not in docs/settings.md";
    }
  }
}

}  // namespace
}  // namespace cairn::settings
