#include "runtime-real/settings/role_settings.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cairn::settings {
namespace {

std::string key_of(std::string_view key) { return std::string(key); }

// A SettingsVisitor that assigns the fields whose keys are present in one YAML mapping
// and remembers the keys it was told about, to reject any other.
class Reader final : public SettingsVisitor {
 public:
  Reader(const YAML::Node& map, std::string where, const NodeRef& node_ref)
      : map_(map), where_(std::move(where)), node_ref_(node_ref) {
    if (!map_.IsMap()) fail(map_, absl::StrCat(where_, " must be a mapping"));
  }

  void duration(std::string_view key, Duration& value) override {
    if (const YAML::Node n = take(key)) value = settings::duration(n, key_of(key));
  }
  void duration_range(std::string_view key, Duration& min, Duration& max) override {
    if (const YAML::Node n = take(key))
      std::tie(min, max) = settings::duration_range(n, key_of(key));
  }
  void integer(std::string_view key, int64_t& value, int64_t min, int64_t max) override {
    if (const YAML::Node n = take(key)) value = settings::integer(n, key_of(key), min, max);
  }
  void number(std::string_view key, double& value, double min, double max) override {
    if (const YAML::Node n = take(key)) value = settings::number(n, key_of(key), min, max);
  }
  void bytes(std::string_view key, uint64_t& value) override {
    if (const YAML::Node n = take(key)) value = settings::size(n, key_of(key));
  }
  void flag(std::string_view key, bool& value) override {
    if (const YAML::Node n = take(key)) value = settings::boolean(n, key_of(key));
  }
  void rate(std::string_view key, double& per_second) override {
    if (const YAML::Node n = take(key)) per_second = settings::rate(n, key_of(key));
  }
  void nodes(std::string_view key, std::vector<NodeId>& value) override {
    const YAML::Node n = take(key);
    if (!n) return;
    if (!n.IsSequence()) fail(n, absl::StrCat(key_of(key), " must be a list like [n1, n2, n3]"));
    value.clear();
    for (const auto& item : n) value.push_back(node_ref_(item));
  }
  void group(std::string_view key, const std::function<void(SettingsVisitor&)>& fields) override {
    const YAML::Node n = take(key);
    if (!n) return;
    Reader inner(n, key_of(key), node_ref_);
    fields(inner);
    inner.finish();
  }

  bool fills() const override { return true; }

  // Rejects keys no field claimed.
  void finish() const { only_keys(map_, where_, known_); }

 private:
  YAML::Node take(std::string_view key) {
    known_.push_back(key_of(key));
    return map_[known_.back()];
  }

  const YAML::Node& map_;
  std::string where_;
  const NodeRef& node_ref_;
  std::vector<std::string> known_;
};

}  // namespace

void read_options(const YAML::Node& section, const std::string& where, RoleOptions& options,
                  const NodeRef& node_ref) {
  Reader reader(section, where, node_ref);
  options.visit(reader);
  reader.finish();
  if (absl::Status st = options.validate(); !st.ok()) fail(section, std::string(st.message()));
}

std::set<std::string> read_role_sections(const YAML::Node& root, const RoleRegistry& roles,
                                         RoleSettings& out, const NodeRef& node_ref) {
  std::set<std::string> consumed;
  for (const RoleInfo& role : roles.roles()) {
    if (role.settings.empty() || !role.make_options || !root[role.settings]) continue;
    // Options already in `out` are the starting point (a runner's own defaults).
    if (RoleOptions* existing = out.find(role.name); existing != nullptr) {
      read_options(root[role.settings], role.settings, *existing, node_ref);
    } else {
      std::unique_ptr<RoleOptions> options = role.make_options();
      read_options(root[role.settings], role.settings, *options, node_ref);
      out.set(role.name, std::move(options));
    }
    consumed.insert(role.settings);
  }
  return consumed;
}

NodeId parse_node_id(const YAML::Node& n) {
  const std::string s = scalar(n, "a node");
  uint32_t id = 0;
  const bool named = s.size() > 1 && s[0] == 'n' && absl::SimpleAtoi(s.substr(1), &id);
  if (!named && !absl::SimpleAtoi(s, &id)) {
    fail(n, absl::StrCat("expected a node name like n3 (or its id), got '", s, "'"));
  }
  if (id == 0) fail(n, "node ids start at 1");
  return id;
}

}  // namespace cairn::settings
