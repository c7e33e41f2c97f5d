// What every `cairn` subcommand (cli_kv.cc, cli_files.cc) shares: its exit codes, the
// --peer / --timeout / --json options, JSON objects (core/base/json.h escapes), reading a whole
// input (a file or stdin) and writing whole outputs with every error checked.
//
// Promises: exit codes keep their numbers (scripts test them); JSON output is one object per
// invocation on stdout, built only from valid UTF-8 (bytes that are not become base64 under a
// "<name>_base64" field); a short read or write is never reported as success.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime-real/host/config.h"

namespace CLI {
class App;
class ParseError;
}  // namespace CLI

namespace cairn::real::cli {

// Exit status of every subcommand.
constexpr int kExitOk = 0;
constexpr int kExitUnavailable = 1;  // cluster unreachable, or no leader within --timeout
constexpr int kExitUsage = 2;        // bad usage or bad input (nothing was sent)
constexpr int kExitNo = 3;           // not found, or a conditional write's condition failed
constexpr int kExitConflict = 4;     // files: the path exists, another version is current, ...
constexpr int kExitData = 5;         // files: not read back intact, or a local file failed

// The options that say where the cluster is and how long to wait for it.
struct ClusterArgs {
  std::string peers = "127.0.0.1:7201";
  std::string timeout = "5s";
  bool json = false;
};
struct ClusterTarget {
  std::vector<HostPort> peers;
  std::chrono::milliseconds timeout{0};
};
// Adds --peer, --timeout and --json to `sub`, bound to `args`.
void add_cluster_options(CLI::App& sub, ClusterArgs& args);
// InvalidArgument naming the option if --peer or --timeout is malformed.
absl::StatusOr<ClusterTarget> resolve(const ClusterArgs& args);

// True if `argv` holds --json before any "--" (so a parse error can be reported as JSON).
bool json_requested(int argc, char** argv);
// Reports a CLI11 parse error (help goes to stdout with status 0) and returns the status.
int report_parse_error(const CLI::App& app, const CLI::ParseError& e, bool json);
// kExitUsage for InvalidArgument (and OutOfRange: input over a limit), else kExitUnavailable.
int exit_code_of(const absl::Status& status);

// Builds one JSON object, fields in the order added.
class JsonObject {
 public:
  JsonObject& text(std::string_view name, std::string_view utf8);  // REQUIRES: valid UTF-8
  // "name": the bytes as a string if they are valid UTF-8, else "name_base64": base64.
  JsonObject& bytes(std::string_view name, std::string_view bytes);
  JsonObject& boolean(std::string_view name, bool value);
  JsonObject& number(std::string_view name, int64_t value);
  // "name": `json` as it is (an array or object built by the caller).
  JsonObject& raw(std::string_view name, std::string_view json);
  std::string str() const { return "{" + body_ + "}"; }

 private:
  void field(std::string_view name, std::string_view json_value);
  std::string body_;
};

// Where results and errors go: plain text (errors on stderr as "cairn: ...") or one JSON
// object on stdout (errors as {"error": ..., "code": <exit status>}).
class Output {
 public:
  explicit Output(bool json) : json_(json) {}
  bool json() const { return json_; }
  // Reports `message` and returns `code`.
  int error(int code, std::string_view message) const;
  int error(const absl::Status& status) const;
  // Reports `status`'s message with `code`.
  int error(int code, const absl::Status& status) const;
  // Writes `object` and a newline to stdout; returns `code`, or kExitUnavailable if stdout
  // could not take it.
  int result(const JsonObject& object, int code) const;
  // Writes `text` to stdout; same return rule.
  int text(std::string_view text, int code) const;

 private:
  bool json_;
};

// All of `path`'s bytes ("-": stdin). OutOfRange if there are more than `max_bytes` (the
// message says how many, when the size is known); InvalidArgument if it cannot be read. The
// messages name the source.
absl::StatusOr<std::string> read_input(const std::string& path, size_t max_bytes);
// Writes every byte to stdout (short writes and EINTR retried) and flushes.
absl::Status write_stdout(std::string_view bytes);
// Creates or truncates `path` and writes every byte to it; the message names the file.
absl::Status write_file(const std::string& path, std::string_view bytes);
bool stdout_is_terminal();

}  // namespace cairn::real::cli
