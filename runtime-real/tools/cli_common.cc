#include "runtime-real/tools/cli_common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/json.h"
#include "core/base/units.h"
#include "runtime-real/tools/kv_blocking_client.h"

namespace cairn::real::cli {

void add_cluster_options(CLI::App& sub, ClusterArgs& args) {
  sub.add_option("--peer", args.peers,
                 "client ports of meta nodes, HOST:PORT[,HOST:PORT...] (default 127.0.0.1:7201)");
  sub.add_option("--timeout", args.timeout, "give up after this long (default 5s)");
  sub.add_flag("--json", args.json, "print one JSON object (errors too) on stdout");
}

absl::StatusOr<ClusterTarget> resolve(const ClusterArgs& args) {
  ClusterTarget t;
  auto peers = parse_peer_list(args.peers);
  if (!peers.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--peer: ", peers.status().message()));
  }
  t.peers = std::move(*peers);
  auto timeout = parse_duration(args.timeout);
  if (!timeout.ok() || *timeout <= Duration(0)) {
    return absl::InvalidArgumentError("--timeout must be a positive duration such as 5s or 500ms");
  }
  t.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*timeout);
  if (t.timeout.count() == 0) t.timeout = std::chrono::milliseconds(1);
  return t;
}

bool json_requested(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) return false;
    if (std::strcmp(argv[i], "--json") == 0) return true;
  }
  return false;
}

int report_parse_error(const CLI::App& app, const CLI::ParseError& e, bool json) {
  if (e.get_exit_code() == 0 || !json) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  return Output(true).error(kExitUsage, e.what());
}

int exit_code_of(const absl::Status& status) {
  CAIRN_ASSERT(!status.ok());
  return absl::IsInvalidArgument(status) || absl::IsOutOfRange(status) ? kExitUsage
                                                                       : kExitUnavailable;
}

// ---- JSON ----

void JsonObject::field(std::string_view name, std::string_view json_value) {
  if (!body_.empty()) body_ += ',';
  body_ += cairn::json_quote(name);
  body_ += ':';
  body_ += json_value;
}

JsonObject& JsonObject::text(std::string_view name, std::string_view utf8) {
  CAIRN_ASSERT(cairn::is_valid_utf8(utf8));
  field(name, cairn::json_quote(utf8));
  return *this;
}

JsonObject& JsonObject::bytes(std::string_view name, std::string_view bytes) {
  if (cairn::is_valid_utf8(bytes)) return text(name, bytes);
  const std::string b64 = absl::Base64Escape(absl::string_view(bytes.data(), bytes.size()));
  field(absl::StrCat(absl::string_view(name.data(), name.size()), "_base64"),
        cairn::json_quote(b64));
  return *this;
}

JsonObject& JsonObject::boolean(std::string_view name, bool value) {
  field(name, value ? "true" : "false");
  return *this;
}

JsonObject& JsonObject::raw(std::string_view name, std::string_view json) {
  field(name, json);
  return *this;
}

JsonObject& JsonObject::number(std::string_view name, int64_t value) {
  field(name, std::to_string(value));
  return *this;
}

// ---- Output ----

int Output::error(int code, std::string_view message) const {
  if (json_) {
    JsonObject o;
    o.bytes("error", message).number("code", code);
    // If stdout is gone there is nowhere left to report to; the exit status still tells.
    (void)write_stdout(o.str() + "\n");
    return code;
  }
  std::fprintf(stderr, "cairn: %.*s\n", static_cast<int>(message.size()), message.data());
  return code;
}

int Output::error(int code, const absl::Status& status) const {
  return error(code, std::string(status.message()));
}

int Output::error(const absl::Status& status) const {
  return error(exit_code_of(status), std::string(status.message()));
}

int Output::result(const JsonObject& object, int code) const {
  return text(object.str() + "\n", code);
}

int Output::text(std::string_view text, int code) const {
  if (absl::Status st = write_stdout(text); !st.ok()) {
    std::fprintf(stderr, "cairn: %s\n", std::string(st.message()).c_str());
    return kExitUnavailable;
  }
  return code;
}

// ---- whole inputs and outputs ----

namespace {

std::string errno_text(int err) { return std::strerror(err); }

absl::Status write_fd(int fd, std::string_view bytes, std::string_view what) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::UnavailableError(absl::StrCat(
          "cannot write ", absl::string_view(what.data(), what.size()), ": ", errno_text(errno)));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> read_input(const std::string& path, size_t max_bytes) {
  const bool from_stdin = path == "-";
  const std::string what = from_stdin ? "stdin" : path;
  const int fd = from_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::InvalidArgumentError(absl::StrCat(what, ": ", errno_text(errno)));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<uint64_t>(st.st_size) > max_bytes) {
    if (!from_stdin) ::close(fd);
    return absl::OutOfRangeError(absl::StrCat(what, " holds ", st.st_size, " bytes"));
  }
  std::string out;
  char buf[64 * 1024];
  absl::Status status;
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = absl::InvalidArgumentError(absl::StrCat(what, ": ", errno_text(errno)));
      break;
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      status = absl::OutOfRangeError(absl::StrCat(what, " holds more than ", max_bytes, " bytes"));
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  if (!from_stdin) ::close(fd);
  if (!status.ok()) return status;
  CAIRN_ASSERT(out.size() <= max_bytes);
  return out;
}

absl::Status write_stdout(std::string_view bytes) {
  std::fflush(stdout);  // anything stdio holds goes first
  return write_fd(STDOUT_FILENO, bytes, "stdout");
}

absl::Status write_file(const std::string& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) return absl::InvalidArgumentError(absl::StrCat(path, ": ", errno_text(errno)));
  absl::Status st = write_fd(fd, bytes, path);
  if (::close(fd) != 0 && st.ok()) {
    st = absl::UnavailableError(absl::StrCat("cannot write ", path, ": ", errno_text(errno)));
  }
  return st;
}

bool stdout_is_terminal() { return ::isatty(STDOUT_FILENO) == 1; }

}  // namespace cairn::real::cli
