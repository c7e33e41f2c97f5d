// `--set key=value` overrides: applied to the scenario's YAML document before the strict
// reader runs, so an override is checked exactly like the file. Each override's nodes get
// line numbers past the end of the file, which is how a mistake in one is reported as
// "--set key=value: ..." rather than at a line of the file.
#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "runtime-sim/scenario.h"
#include "runtime-sim/scenario_read.h"

namespace cairn::sim {

absl::StatusOr<SetOverride> parse_set(const std::string& arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--set ", arg, ": expected key=value (e.g. --set seed=3)"));
  }
  SetOverride o{arg.substr(0, eq), arg.substr(eq + 1), absl::StrCat("--set ", arg)};
  if (o.key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(o.source, ": the key before '=' is empty"));
  }
  for (absl::string_view part : absl::StrSplit(o.key, '.')) {
    if (part.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          o.source, ": the key has an empty part (a..b, or a leading or trailing '.')"));
    }
  }
  return o;
}

std::string source_of(const Scenario& s, int line) {
  if (s.set_first_line > 0 && line >= s.set_first_line) {
    const size_t k = static_cast<size_t>((line - s.set_first_line) / yaml::kSetLines);
    if (k < s.set_sources.size()) return s.set_sources[k];
  }
  return absl::StrCat(s.file, ":", line);
}

namespace yaml {
namespace {

// `text` parsed with its first line at `line` (1-based).
YAML::Node load_at(const std::string& text, int line) {
  return YAML::Load(std::string(static_cast<size_t>(line - 1), '\n') + text);
}

void apply_one(YAML::Node& root, const SetOverride& o, int line) {
  YAML::Node value;
  try {
    value = load_at(o.value.find_first_not_of(" \t") == std::string::npos ? "~" : o.value, line);
  } catch (const YAML::Exception& e) {
    throw ParseError{line, absl::StrCat("the value is not valid YAML (", e.msg, ")")};
  }
  const std::vector<std::string> parts = absl::StrSplit(o.key, '.');
  YAML::Node cur;
  cur.reset(root);
  std::string path;  // the parts followed so far
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    const bool last = i + 1 == parts.size();
    const std::string where = path.empty() ? "the scenario" : absl::StrCat("'", path, "'");
    path = path.empty() ? part : absl::StrCat(path, ".", part);
    if (cur.IsSequence()) {
      char* end = nullptr;
      const unsigned long index = std::strtoul(part.c_str(), &end, 10);
      if (part.empty() || *end != '\0' || part[0] == '-' || index >= cur.size()) {
        throw ParseError{line, absl::StrCat(where, " is a list of ", cur.size(), " entries: '",
                                            part, "' is not one of its indexes (0 to ",
                                            cur.size() == 0 ? 0 : cur.size() - 1, ")")};
      }
      if (last) {
        cur[index] = value;
      } else {
        YAML::Node next = cur[index];
        cur.reset(next);
      }
      continue;
    }
    if (!cur.IsMap() && !cur.IsNull()) {
      throw ParseError{line, absl::StrCat(where, " is a single value, so it has no '", part, "'")};
    }
    YAML::Node found;
    bool exists = false;
    if (cur.IsMap()) {
      for (auto it = cur.begin(); it != cur.end(); ++it) {
        if (it->first.IsScalar() && it->first.Scalar() == part) {
          found.reset(it->second);
          exists = true;
          break;
        }
      }
    }
    if (exists && last) {
      cur[part] = value;
    } else if (exists) {
      cur.reset(found);
    } else {
      YAML::Node key =
          load_at(absl::StrCat("'", absl::StrReplaceAll(part, {{"'", "''"}}), "'"), line);
      YAML::Node child = last ? value : load_at("{}", line);
      cur.force_insert(key, child);
      cur.reset(child);
    }
  }
}

}  // namespace

void apply_overrides(YAML::Node& root, const std::vector<SetOverride>& overrides, int first_line) {
  for (size_t k = 0; k < overrides.size(); ++k) {
    apply_one(root, overrides[k], first_line + static_cast<int>(k) * kSetLines);
  }
}

}  // namespace yaml
}  // namespace cairn::sim
