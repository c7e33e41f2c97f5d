// Roles: one table of what a node can be (membership, meta, storage, ...), read by both
// runners (cairn-sim and cairnd), so that a new role is its own folder plus one
// registration line (core/roles/builtin.cc) and no runner matches role names by string.
//
// A role says: its name, the settings section its options are read from, the message
// types it serves (between nodes, and from clients — a role with client types makes
// cairnd open its client port), a factory for its options struct (a plain struct with
// visit() and validate(), core/base/settings.h), and install(), which adds its services to
// a booting Node. A runner hands install() a RoleContext: the node's Runtime, who is in
// the cluster, and typed Hooks (observers for checkers, schedules for simulated clients)
// that are absent in production. install() runs at every boot, on the node's thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <typeindex>
#include <vector>

#include "absl/status/status.h"
#include "core/base/settings.h"
#include "core/runtime/service.h"

namespace cairn {

// Typed pointers a runner lends to roles (not owned; absent in production). Keyed by type,
// so no role ever looks one up by name.
class Hooks {
 public:
  template <typename T>
  void set(T* hook) {
    hooks_[std::type_index(typeid(T))] = hook;
  }
  // The hook of type T, or nullptr.
  template <typename T>
  T* get() const {
    auto it = hooks_.find(std::type_index(typeid(T)));
    return it == hooks_.end() ? nullptr : static_cast<T*>(it->second);
  }

 private:
  std::map<std::type_index, void*> hooks_;
};

struct RoleContext {
  Runtime& runtime;
  // Every node of the cluster, sorted, this one included.
  std::vector<NodeId> cluster;
  // The nodes that hold a role, sorted (a runner that cannot know: the whole cluster).
  std::function<std::vector<NodeId>(std::string_view role)> members;
  const Hooks& hooks;
  // The failure domain (zone) of a node of the cluster; null: every node in one zone.
  std::function<std::string(NodeId)> zone_of;
};

struct RoleInfo {
  std::string name;
  std::string summary;   // one line, for help texts and docs
  std::string settings;  // the settings section of its options ("" if it has none)
  // Runs on client endpoints a runner creates (cairn-sim's simulated clients), never on
  // a node a user lists roles for.
  bool client_endpoint = false;
  std::vector<MessageType> peer_types;
  std::vector<MessageType> client_types;
  // The largest bulk payload one client request (or its answer) carries; 0: small
  // messages only (a runner's default frame limit, 1 MiB in cairnd).
  uint64_t client_payload_max = 0;
  // Options with their defaults. Null: the role has no options.
  std::function<std::unique_ptr<RoleOptions>()> make_options;
  // Adds the role's services to `node`. `options` is what make_options() made, filled and
  // validated. InvalidArgument if the role cannot run with them here.
  std::function<absl::Status(Node& node, const RoleContext& ctx, const RoleOptions* options)>
      install;
};

class RoleRegistry {
 public:
  // AlreadyExists if a role of that name, or one serving one of its peer types, is
  // registered (two client-endpoint roles may share types: a runner gives each client
  // endpoint one role; two node roles may share client types, as two servers of one client
  // protocol do, and never sit on one node); InvalidArgument if it has no name or no
  // install().
  absl::Status add(RoleInfo role);
  const RoleInfo* find(std::string_view name) const;
  // The role whose settings section is `section`, or nullptr.
  const RoleInfo* find_section(std::string_view section) const;
  // In registration order.
  const std::vector<RoleInfo>& roles() const { return roles_; }
  // "membership, meta, ..." for error messages.
  std::string names() const;

 private:
  std::vector<RoleInfo> roles_;
};

// Options of the roles a file configured, by role name; a role missing here runs with its
// defaults. Copies are deep.
class RoleSettings {
 public:
  RoleSettings() = default;
  RoleSettings(const RoleSettings& other);
  RoleSettings& operator=(const RoleSettings& other);
  RoleSettings(RoleSettings&&) = default;
  RoleSettings& operator=(RoleSettings&&) = default;

  void set(const std::string& role, std::unique_ptr<RoleOptions> options);
  // Null if the role was not configured.
  const RoleOptions* find(const std::string& role) const;
  RoleOptions* find(const std::string& role);
  // The options of `role` as T, default-made on first use (tests and runners adjust them).
  // REQUIRES: options already set for `role` are a T.
  template <typename T>
  T& get(const std::string& role) {
    auto it = options_.find(role);
    if (it == options_.end()) it = options_.emplace(role, std::make_unique<T>()).first;
    T* typed = dynamic_cast<T*>(it->second.get());
    CAIRN_ASSERT(typed != nullptr);
    return *typed;
  }
  template <typename T>
  const T& get_or_default(const std::string& role) const {
    static const T kDefault{};
    const RoleOptions* o = find(role);
    if (o == nullptr) return kDefault;
    const T* typed = dynamic_cast<const T*>(o);
    CAIRN_ASSERT(typed != nullptr);
    return *typed;
  }

 private:
  std::map<std::string, std::unique_ptr<RoleOptions>> options_;
};

// Installs `role` on `node` with the options in `settings` (defaults if absent).
absl::Status install_role(const RoleInfo& role, Node& node, const RoleContext& ctx,
                          const RoleSettings& settings);

}  // namespace cairn
