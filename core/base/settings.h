// The settings vocabulary: how an options struct names its keys, so that one strict reader
// (runtime-real/settings/) fills it from a scenario file or a cairnd config alike, and the
// documentation lists the same words.
//
// An options struct lists its fields to a SettingsVisitor in visit(): each field with its
// key (units are in the value the user writes, never in the key), its kind and its limits.
// A reader fills the fields present in the file and leaves the others at their defaults;
// a describer prints key, kind and default. validate() then checks what depends on more
// than one field. Core code never parses text here: it only names its fields.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "core/runtime/message.h"
#include "core/runtime/time.h"

namespace cairn {

class SettingsVisitor {
 public:
  virtual ~SettingsVisitor() = default;

  // A duration written with its unit ("250us", "2s").
  virtual void duration(std::string_view key, Duration& value) = 0;
  // Two durations written as [min, max]. REQUIRES: min <= max on return.
  virtual void duration_range(std::string_view key, Duration& min, Duration& max) = 0;
  // A whole number in [min, max].
  virtual void integer(std::string_view key, int64_t& value, int64_t min, int64_t max) = 0;
  // A real number in [min, max] (percentages are written "5%").
  virtual void number(std::string_view key, double& value, double min, double max) = 0;
  // A size with its unit ("64KiB", "8MiB").
  virtual void bytes(std::string_view key, uint64_t& value) = 0;
  virtual void flag(std::string_view key, bool& value) = 0;
  // Node ids, written as names ("n3") or numbers (3).
  virtual void nodes(std::string_view key, std::vector<NodeId>& value) = 0;
  // Events per second, written "20/s".
  virtual void rate(std::string_view key, double& per_second) = 0;
  // A nested section: `fields` names its keys to the visitor it is given (a reader calls it
  // only when the section is present).
  virtual void group(std::string_view key, const std::function<void(SettingsVisitor&)>& fields) = 0;
  // True for a visitor that fills fields from a file, false for one that only looks.
  virtual bool fills() const = 0;

  // Any integer type, through integer().
  template <typename T>
  requires std::is_integral_v<T>
  void count(std::string_view key, T& value, int64_t min, int64_t max) {
    auto v = static_cast<int64_t>(value);
    integer(key, v, min, max);
    value = static_cast<T>(v);
  }
};

// What a role's options struct is: fields named to a visitor, rules checked by validate().
class RoleOptions {
 public:
  virtual ~RoleOptions() = default;
  virtual void visit(SettingsVisitor& v) = 0;
  // InvalidArgument naming the bad key.
  virtual absl::Status validate() const = 0;
  virtual std::unique_ptr<RoleOptions> clone() const = 0;
};

// The usual clone() of an options struct T.
template <typename T>
class RoleOptionsBase : public RoleOptions {
 public:
  std::unique_ptr<RoleOptions> clone() const override {
    return std::make_unique<T>(static_cast<const T&>(*this));
  }
};

// One line per key ("heartbeat: 1s", "monitors: 3") with the current values: the defaults
// when called on a fresh struct. For documentation and `--help`.
std::vector<std::string> describe_settings(RoleOptions& options);

}  // namespace cairn
