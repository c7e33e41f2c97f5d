#include "core/base/settings.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/units.h"

namespace cairn {
namespace {

class Describer final : public SettingsVisitor {
 public:
  void duration(std::string_view key, Duration& value) override {
    line(key, format_duration(value));
  }
  void duration_range(std::string_view key, Duration& min, Duration& max) override {
    line(key, absl::StrCat("[", format_duration(min), ", ", format_duration(max), "]"));
  }
  void integer(std::string_view key, int64_t& value, int64_t, int64_t) override {
    line(key, absl::StrCat(value));
  }
  void number(std::string_view key, double& value, double, double) override {
    line(key, absl::StrCat(value));
  }
  void bytes(std::string_view key, uint64_t& value) override {
    line(key, absl::StrCat(value, "B"));
  }
  void flag(std::string_view key, bool& value) override { line(key, value ? "true" : "false"); }
  bool fills() const override { return false; }
  void rate(std::string_view key, double& per_second) override {
    line(key, absl::StrCat(per_second, "/s"));
  }
  void group(std::string_view key, const std::function<void(SettingsVisitor&)>& fields) override {
    const std::string outer(key);
    Describer inner;
    fields(inner);
    for (const std::string& l : inner.lines) lines.push_back(absl::StrCat(outer, ".", l));
  }
  void nodes(std::string_view key, std::vector<NodeId>& value) override {
    std::vector<std::string> names;
    for (NodeId n : value) names.push_back(absl::StrCat("n", n));
    line(key, absl::StrCat("[", absl::StrJoin(names, ", "), "]"));
  }

  std::vector<std::string> lines;

 private:
  void line(std::string_view key, const std::string& value) {
    lines.push_back(absl::StrCat(absl::string_view(key.data(), key.size()), ": ", value));
  }
};

}  // namespace

std::vector<std::string> describe_settings(RoleOptions& options) {
  Describer d;
  options.visit(d);
  return std::move(d.lines);
}

}  // namespace cairn
