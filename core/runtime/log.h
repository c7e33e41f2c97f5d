// Logging and trace events, the way core logic reports what it does.
//
// Two kinds of output. Log lines are for people (levels, free text). Events are for
// machines: a kind plus typed fields, written by cairn-sim to the run's events.jsonl
// (with simulated time and node first) and hashed into the run's trace_hash, and by
// cairnd to its structured log. Events must be deterministic: same inputs, same fields.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace cairn {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

struct EventField {
  std::string key;
  std::variant<int64_t, double, std::string, bool> value;
};

struct Event {
  std::string kind;  // "member_state", "raft_leader", ...
  std::vector<EventField> fields;

  // Convenience for readers (checkers, tests): the field's value, or nullptr.
  const EventField* find(std::string_view key) const {
    for (const auto& f : fields) {
      if (f.key == key) return &f;
    }
    return nullptr;
  }
};

class Log {
 public:
  virtual ~Log() = default;
  virtual void write(LogLevel level, std::string_view text) = 0;
  virtual void event(Event event) = 0;
  // False when lines of this level are dropped anyway (skip building them).
  virtual bool enabled(LogLevel level) const = 0;

  void debug(std::string_view text) { write(LogLevel::kDebug, text); }
  void info(std::string_view text) { write(LogLevel::kInfo, text); }
  void warn(std::string_view text) { write(LogLevel::kWarn, text); }
  void error(std::string_view text) { write(LogLevel::kError, text); }
};

std::string_view log_level_name(LogLevel level);

}  // namespace cairn
