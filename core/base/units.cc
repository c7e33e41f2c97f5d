#include "core/base/units.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cairn {
namespace {

struct Unit {
  std::string_view suffix;
  double factor;
};

// Splits "12.5ms" into 12.5 and "ms". Returns nullopt when there is no leading number.
std::optional<std::pair<double, std::string_view>> split_number(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.' ||
                             (i == 0 && (text[i] == '-' || text[i] == '+')))) {
    ++i;
  }
  if (i == 0) return std::nullopt;
  std::string number(text.substr(0, i));
  char* end = nullptr;
  double value = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || !std::isfinite(value)) return std::nullopt;
  std::string_view unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  return std::make_pair(value, unit);
}

absl::StatusOr<double> parse_with_units(std::string_view text, std::initializer_list<Unit> units,
                                        std::string_view what, std::string_view accepted) {
  auto split = split_number(text);
  if (!split) {
    return absl::InvalidArgumentError(absl::StrCat("expected a ", std::string(what), " like ",
                                                   std::string(accepted), ", got '",
                                                   std::string(text), "'"));
  }
  auto [value, suffix] = *split;
  for (const Unit& u : units) {
    if (suffix == u.suffix) {
      if (value < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            std::string(what), " must not be negative, got '", std::string(text), "'"));
      }
      return value * u.factor;
    }
  }
  if (suffix.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(what), " '", std::string(text),
                                                   "' needs a unit (", std::string(accepted), ")"));
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown unit '", std::string(suffix), "' in ",
                                                 std::string(what), " '", std::string(text),
                                                 "' (accepted: ", std::string(accepted), ")"));
}

}  // namespace

absl::StatusOr<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  auto ns = parse_with_units(
      text, {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}},
      "duration", "ns, us, ms, s, m, h");
  if (!ns.ok()) return ns.status();
  if (*ns > 1e18)
    return absl::InvalidArgumentError(
        absl::StrCat("duration '", std::string(text), "' is too long"));
  return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(*ns)));
}

absl::StatusOr<double> parse_bandwidth(std::string_view text) {
  return parse_with_units(text,
                          {{"bps", 1.0 / 8},
                           {"kbps", 1e3 / 8},
                           {"Kbps", 1e3 / 8},
                           {"Mbps", 1e6 / 8},
                           {"Gbps", 1e9 / 8},
                           {"Bps", 1},
                           {"kBps", 1e3},
                           {"KBps", 1e3},
                           {"MBps", 1e6},
                           {"GBps", 1e9},
                           {"KiBps", 1024.0},
                           {"MiBps", 1024.0 * 1024},
                           {"GiBps", 1024.0 * 1024 * 1024}},
                          "bandwidth", "bps, Mbps, Gbps (bits) or Bps, MBps, GBps, MiBps (bytes)");
}

absl::StatusOr<uint64_t> parse_size(std::string_view text) {
  auto bytes = parse_with_units(text,
                                {{"B", 1},
                                 {"KB", 1e3},
                                 {"kB", 1e3},
                                 {"MB", 1e6},
                                 {"GB", 1e9},
                                 {"TB", 1e12},
                                 {"KiB", 1024.0},
                                 {"MiB", 1024.0 * 1024},
                                 {"GiB", 1024.0 * 1024 * 1024},
                                 {"TiB", 1024.0 * 1024 * 1024 * 1024}},
                                "size", "B, KB, MB, GB, KiB, MiB, GiB");
  if (!bytes.ok()) return bytes.status();
  if (*bytes > 1.8e19)
    return absl::InvalidArgumentError(absl::StrCat("size '", std::string(text), "' is too large"));
  return static_cast<uint64_t>(std::llround(*bytes));
}

std::string format_duration(std::chrono::nanoseconds d) {
  // Exact: the value in the largest unit it reaches, with trailing zero decimals trimmed.
  const int64_t ns = d.count();
  const uint64_t mag = ns < 0 ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  if (mag == 0) return "0s";
  struct Scale {
    uint64_t ns;
    int decimals;
    const char* suffix;
  };
  static constexpr Scale kScales[] = {
      {1'000'000'000, 9, "s"}, {1'000'000, 6, "ms"}, {1'000, 3, "us"}, {1, 0, "ns"}};
  for (const Scale& s : kScales) {
    if (mag < s.ns && s.ns != 1) continue;
    std::string out = absl::StrCat(ns < 0 ? "-" : "", mag / s.ns);
    std::string frac = absl::StrFormat("%0*d", s.decimals, mag % s.ns);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    if (!frac.empty()) absl::StrAppend(&out, ".", frac);
    return absl::StrCat(out, s.suffix);
  }
  return absl::StrCat(ns, "ns");
}

}  // namespace cairn
