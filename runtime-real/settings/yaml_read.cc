#include "runtime-real/settings/yaml_read.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/units.h"

namespace cairn::settings {

[[noreturn]] void fail(const YAML::Node& node, std::string message) {
  throw ParseError{node.Mark().line + 1, std::move(message)};
}

void only_keys(const YAML::Node& map, const std::string& where,
               const std::vector<std::string>& allowed) {
  if (!map.IsMap()) fail(map, absl::StrCat(where, " must be a mapping"));
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      fail(it->first, absl::StrCat("unknown key '", key, "' in ", where,
                                   " (known: ", absl::StrJoin(allowed, ", "), ")"));
    }
  }
}

void only_keys(const YAML::Node& map, const std::string& where,
               std::initializer_list<const char*> allowed) {
  only_keys(map, where, std::vector<std::string>(allowed.begin(), allowed.end()));
}

std::string scalar(const YAML::Node& n, const std::string& what) {
  if (!n.IsScalar()) fail(n, absl::StrCat(what, " must be a single value"));
  return n.Scalar();
}

Duration duration(const YAML::Node& n, const std::string& what) {
  auto d = parse_duration(scalar(n, what));
  if (!d.ok()) fail(n, absl::StrCat(what, ": ", std::string(d.status().message())));
  return *d;
}

double bandwidth(const YAML::Node& n, const std::string& what) {
  auto b = parse_bandwidth(scalar(n, what));
  if (!b.ok()) fail(n, absl::StrCat(what, ": ", std::string(b.status().message())));
  if (*b <= 0) fail(n, absl::StrCat(what, " must be positive"));
  return *b;
}

uint64_t size(const YAML::Node& n, const std::string& what) {
  auto b = parse_size(scalar(n, what));
  if (!b.ok()) fail(n, absl::StrCat(what, ": ", std::string(b.status().message())));
  return *b;
}

double number(const YAML::Node& n, const std::string& what, double lo, double hi) {
  const std::string s = scalar(n, what);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size()) {
    fail(n, absl::StrCat(what, " must be a number, got '", s, "'"));
  }
  if (v < lo || v > hi) fail(n, absl::StrCat(what, " must be in [", lo, ", ", hi, "], got ", s));
  return v;
}

int64_t integer(const YAML::Node& n, const std::string& what, int64_t lo, int64_t hi) {
  const std::string s = scalar(n, what);
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || end != s.c_str() + s.size()) {
    fail(n, absl::StrCat(what, " must be a whole number, got '", s, "'"));
  }
  if (v < lo || v > hi) fail(n, absl::StrCat(what, " must be in [", lo, ", ", hi, "], got ", s));
  return v;
}

std::vector<std::string> string_list(const YAML::Node& n, const std::string& what) {
  std::vector<std::string> out;
  if (n.IsScalar()) return {n.Scalar()};
  if (!n.IsSequence()) fail(n, absl::StrCat(what, " must be a list"));
  for (const auto& item : n) out.push_back(scalar(item, what));
  return out;
}

// Pairs of [min, max] durations, e.g. downtime: [5s, 20s].
std::pair<Duration, Duration> duration_range(const YAML::Node& n, const std::string& what) {
  if (!n.IsSequence() || n.size() != 2) fail(n, absl::StrCat(what, " must be [min, max]"));
  auto lo = duration(n[0], what), hi = duration(n[1], what);
  if (lo > hi) fail(n, absl::StrCat(what, ": min is above max"));
  return {lo, hi};
}

double rate(const YAML::Node& n, const std::string& what) {
  std::string v = scalar(n, what);
  if (v.size() > 2 && v.compare(v.size() - 2, 2, "/s") == 0) v.resize(v.size() - 2);
  char* end = nullptr;
  const double r = std::strtod(v.c_str(), &end);
  if (v.empty() || end != v.c_str() + v.size() || !(r > 0) || r > 1e6) {
    fail(n, absl::StrCat(what, " must be a positive rate like 20/s, got '", n.Scalar(), "'"));
  }
  return r;
}

bool boolean(const YAML::Node& n, const std::string& what) {
  const std::string v = scalar(n, what);
  if (v != "true" && v != "false") fail(n, absl::StrCat(what, " must be true or false"));
  return v == "true";
}

}  // namespace cairn::settings
