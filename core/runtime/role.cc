#include "core/runtime/role.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cairn {
namespace {

bool contains(const std::vector<MessageType>& types, MessageType t) {
  return std::find(types.begin(), types.end(), t) != types.end();
}

// A type two roles may not both serve: any peer type of either. Client types may be shared
// (two servers of one client protocol, such as meta's key-value store and a lab's
// primary-backup register); a node holding both is refused by Node::add.
bool clash(const RoleInfo& a, const RoleInfo& b, MessageType& type) {
  for (MessageType t : a.peer_types) {
    if (contains(b.peer_types, t) || contains(b.client_types, t)) return type = t, true;
  }
  for (MessageType t : a.client_types) {
    if (contains(b.peer_types, t)) return type = t, true;
  }
  return false;
}

}  // namespace

absl::Status RoleRegistry::add(RoleInfo role) {
  if (role.name.empty() || !role.install) {
    return absl::InvalidArgumentError("a role needs a name and an install function");
  }
  for (const RoleInfo& r : roles_) {
    if (r.name == role.name) {
      return absl::AlreadyExistsError(absl::StrCat("role '", role.name, "' is registered twice"));
    }
    if (!role.settings.empty() && r.settings == role.settings) {
      return absl::AlreadyExistsError(absl::StrCat("roles '", r.name, "' and '", role.name,
                                                   "' read the same section '", role.settings,
                                                   "'"));
    }
    if (r.client_endpoint && role.client_endpoint) continue;  // never on one endpoint
    MessageType t = 0;
    if (clash(r, role, t)) {
      return absl::AlreadyExistsError(
          absl::StrCat("roles '", r.name, "' and '", role.name, "' both serve type ", t));
    }
  }
  roles_.push_back(std::move(role));
  return absl::OkStatus();
}

const RoleInfo* RoleRegistry::find(std::string_view name) const {
  for (const RoleInfo& r : roles_) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

const RoleInfo* RoleRegistry::find_section(std::string_view section) const {
  for (const RoleInfo& r : roles_) {
    if (!r.settings.empty() && r.settings == section) return &r;
  }
  return nullptr;
}

std::string RoleRegistry::names() const {
  std::vector<std::string> out;
  for (const RoleInfo& r : roles_) out.push_back(r.name);
  return absl::StrJoin(out, ", ");
}

RoleSettings::RoleSettings(const RoleSettings& other) { *this = other; }

RoleSettings& RoleSettings::operator=(const RoleSettings& other) {
  if (this == &other) return *this;
  options_.clear();
  for (const auto& [name, o] : other.options_) options_.emplace(name, o->clone());
  return *this;
}

void RoleSettings::set(const std::string& role, std::unique_ptr<RoleOptions> options) {
  CAIRN_ASSERT(options != nullptr);
  options_[role] = std::move(options);
}

RoleOptions* RoleSettings::find(const std::string& role) {
  auto it = options_.find(role);
  return it == options_.end() ? nullptr : it->second.get();
}

const RoleOptions* RoleSettings::find(const std::string& role) const {
  auto it = options_.find(role);
  return it == options_.end() ? nullptr : it->second.get();
}

absl::Status install_role(const RoleInfo& role, Node& node, const RoleContext& ctx,
                          const RoleSettings& settings) {
  const RoleOptions* configured = settings.find(role.name);
  std::unique_ptr<RoleOptions> defaults;
  if (configured == nullptr && role.make_options) {
    defaults = role.make_options();
    configured = defaults.get();
  }
  if (configured != nullptr) {
    if (absl::Status st = configured->validate(); !st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(role.name, ": ", st.message()));
    }
  }
  return role.install(node, ctx, configured);
}

}  // namespace cairn
