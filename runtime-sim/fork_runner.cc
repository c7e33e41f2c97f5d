#include "runtime-sim/fork_runner.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cairn::sim {
namespace {

bool write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Tabs and newlines would break the line format; details never need them.
std::string flat(std::string s) {
  for (char& c : s) {
    if (c == '\t' || c == '\n') c = ' ';
  }
  return s;
}

}  // namespace

absl::StatusOr<std::string> run_in_child(const std::function<std::string()>& fn) {
  int fds[2];
  if (::pipe(fds) != 0) return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    ::close(fds[0]);
    const std::string out = fn();
    const bool ok = write_all(fds[1], out);
    ::close(fds[1]);
    std::fflush(stdout);
    std::fflush(stderr);
    ::_exit(ok ? 0 : 3);
  }
  ::close(fds[1]);
  std::string out;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    return absl::InternalError(absl::StrCat("simulation child died of signal ", WTERMSIG(status),
                                            " (", strsignal(WTERMSIG(status)), ")"));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(
        absl::StrCat("simulation child exited with status ", WEXITSTATUS(status)));
  }
  return out;
}

std::string encode_result(const RunResult& r) {
  std::string out;
  absl::StrAppend(&out, "scenario\t", flat(r.scenario), "\n", "seed\t", r.seed, "\n",
                  "sim_time_s\t", r.sim_time_s, "\n", "wall_time_s\t", r.wall_time_s, "\n",
                  "trace_hash\t", r.trace_hash, "\n", "events\t", r.events, "\n");
  for (const auto& [name, c] : r.checks) {
    absl::StrAppend(&out, "check\t", name, "\t", c.pass ? 1 : 0, "\t", c.judged ? 1 : 0, "\t",
                    flat(c.detail), "\n");
    for (const auto& [k, v] : c.figures)
      absl::StrAppend(&out, "figure\t", name, "\t", k, "\t", v, "\n");
  }
  for (const auto& [k, v] : r.metrics) absl::StrAppend(&out, "metric\t", k, "\t", v, "\n");
  return out;
}

absl::StatusOr<RunResult> decode_result(const std::string& text) {
  RunResult r;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    auto bad = [&] { return absl::InvalidArgumentError(absl::StrCat("bad result line: ", line)); };
    if (f.size() < 2) return bad();
    const std::string& key = f[0];
    bool ok = true;
    if (key == "scenario")
      r.scenario = f[1];
    else if (key == "seed")
      ok = absl::SimpleAtoi(f[1], &r.seed);
    else if (key == "sim_time_s")
      ok = absl::SimpleAtod(f[1], &r.sim_time_s);
    else if (key == "wall_time_s")
      ok = absl::SimpleAtod(f[1], &r.wall_time_s);
    else if (key == "trace_hash")
      r.trace_hash = f[1];
    else if (key == "events")
      ok = absl::SimpleAtoi(f[1], &r.events);
    else if (key == "check" && f.size() == 5)
      r.checks[f[1]] = CheckResult{f[2] == "1", f[3] == "1", f[4], {}};
    else if (key == "figure" && f.size() == 4)
      ok = absl::SimpleAtod(f[3], &r.checks[f[1]].figures[f[2]]);
    else if (key == "metric" && f.size() == 3)
      ok = absl::SimpleAtod(f[2], &r.metrics[f[1]]);
    else
      return bad();
    if (!ok) return bad();
  }
  if (r.trace_hash.empty()) return absl::InvalidArgumentError("result has no trace_hash");
  return r;
}

absl::StatusOr<RunResult> run_scenario_in_child(const Scenario& scenario,
                                                const RunOptions& options) {
  auto text = run_in_child([&] { return encode_result(run_scenario(scenario, options)); });
  if (!text.ok()) return text.status();
  return decode_result(*text);
}

}  // namespace cairn::sim
