// What a scenario's text gets wrong before its meaning is read: keys given twice (YAML
// readers keep one silently) and YAML syntax errors, said in plain words at the line where
// the mistake is rather than where the YAML reader gave up.
#include <map>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime-sim/scenario_read.h"

namespace cairn::sim::yaml {
namespace {

struct Open {
  char bracket;
  int line;  // 1-based
};

// The innermost '{' or '[' of `text` left open or closed by the wrong bracket, skipping
// comments and quoted strings. Nothing: every bracket is matched.
std::optional<Open> unmatched_bracket(const std::string& text) {
  std::vector<Open> open;
  int line = 1;
  char quote = 0;
  bool comment = false;
  char before = '\n';
  for (char c : text) {
    if (c == '\n') {
      ++line;
      comment = false;
      if (quote == 0) before = c;
      continue;
    }
    if (comment) continue;
    if (quote != 0) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '#' && (before == ' ' || before == '\t' || before == '\n')) {
      comment = true;
    } else if (c == '"' || (c == '\'' && (before == ' ' || before == '[' || before == '{' ||
                                          before == ',' || before == ':' || before == '\n'))) {
      quote = c;
    } else if (c == '{' || c == '[') {
      open.push_back({c, line});
    } else if (c == '}' || c == ']') {
      if (open.empty() || open.back().bracket != (c == '}' ? '{' : '[')) {
        return open.empty() ? std::optional<Open>(Open{c, line}) : open.back();
      }
      open.pop_back();
    }
    before = c;
  }
  if (open.empty()) return std::nullopt;
  return open.back();
}

}  // namespace

void reject_duplicate_keys(const YAML::Node& node) {
  if (node.IsSequence()) {
    for (const auto& item : node) reject_duplicate_keys(item);
    return;
  }
  if (!node.IsMap()) return;
  std::map<std::string, int> lines;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (it->first.IsScalar()) {
      const std::string key = it->first.Scalar();
      const int line = it->first.Mark().line + 1;
      if (auto [at, fresh] = lines.emplace(key, line); !fresh) {
        fail(it->first, absl::StrCat("'", key, "' is given twice (first on line ", at->second,
                                     "); say it once"));
      }
    }
    reject_duplicate_keys(it->second);
  }
}

ParseError explain_yaml_error(const YAML::Exception& e, const std::string& text) {
  const std::string& msg = e.msg;
  const int reader_line = e.mark.line + 1;
  auto contains = [&](const char* s) { return msg.find(s) != std::string::npos; };
  // An unmatched bracket confuses the YAML reader about everything after it, so it is
  // the mistake to report whatever the reader noticed first.
  {
    if (std::optional<Open> b = unmatched_bracket(text)) {
      const bool brace = b->bracket == '{' || b->bracket == '}';
      if (b->bracket == '}' || b->bracket == ']') {
        return {b->line, absl::StrCat("'", std::string(1, b->bracket),
                                      "' closes nothing: there is no matching '", brace ? "{" : "[",
                                      "' before it")};
      }
      return {b->line,
              absl::StrCat("this '", std::string(1, b->bracket), "' is never closed: add '",
                           brace ? "}" : "]", "' where its list or mapping ends")};
    }
  }
  if (contains("end of map not found") || contains("end of sequence not found")) {
    return {reader_line,
            "this line is not indented like the lines above it: keys of one mapping (and the "
            "'-' of one list) must start in the same column"};
  }
  if (contains("illegal map value")) {
    return {reader_line,
            "a ':' is in a place where no key can start (put quotes around a value that "
            "contains ': ')"};
  }
  if (contains("end of map") || contains("end of sequence") || contains("flow")) {
    return {reader_line, "the brackets or indentation around here do not fit together"};
  }
  return {reader_line, absl::StrCat("this is not valid YAML (", msg, ")")};
}

}  // namespace cairn::sim::yaml
