// Strict YAML reading, shared by cairn-sim's scenario reader and cairnd's config reader so
// that both speak one vocabulary with one kind of error. Each helper reports a mistake by
// throwing ParseError with the offending node's line; parse functions turn it into
// InvalidArgument("file:line: message") at their boundary (no exception leaves a parser).
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "core/runtime/time.h"

namespace cairn::settings {

// Parse errors travel as this exception inside the readers only.
struct ParseError {
  int line;  // 1-based
  std::string message;
};

[[noreturn]] void fail(const YAML::Node& node, std::string message);
void only_keys(const YAML::Node& map, const std::string& where,
               std::initializer_list<const char*> allowed);
void only_keys(const YAML::Node& map, const std::string& where,
               const std::vector<std::string>& allowed);
std::string scalar(const YAML::Node& n, const std::string& what);
Duration duration(const YAML::Node& n, const std::string& what);
double bandwidth(const YAML::Node& n, const std::string& what);
uint64_t size(const YAML::Node& n, const std::string& what);  // e.g. 16KiB
double number(const YAML::Node& n, const std::string& what, double lo, double hi);
int64_t integer(const YAML::Node& n, const std::string& what, int64_t lo, int64_t hi);
bool boolean(const YAML::Node& n, const std::string& what);
double rate(const YAML::Node& n, const std::string& what);  // "20/s" or "20"
std::vector<std::string> string_list(const YAML::Node& n, const std::string& what);
std::pair<Duration, Duration> duration_range(const YAML::Node& n, const std::string& what);

}  // namespace cairn::settings
