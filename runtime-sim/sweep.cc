#include "runtime-sim/sweep.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime-sim/sweep_slurm.h"
#include "yaml-cpp/yaml.h"

namespace cairn::sim {
namespace {

struct SeedResult {
  uint64_t seed = 0;
  int status = -1;                             // exit status; 128+N for signal N
  std::map<std::string, bool> checks;          // name -> pass
  std::map<std::string, std::string> figures;  // column -> number as written
  std::string trace_hash;
};

std::string seed_dir(const SweepOptions& o, uint64_t seed) {
  return absl::StrCat(o.out, "/seed", seed);
}

// Starts `cairn-sim run` for one seed, its output in DIR/seedS.log. Returns the child's pid.
pid_t start(const SweepOptions& o, uint64_t seed) {
  std::vector<std::string> args{"cairn-sim",          "run",   o.scenario,        "--seed",
                                std::to_string(seed), "--out", seed_dir(o, seed), "--no-progress"};
  for (const std::string& s : o.set_args) {
    args.push_back("--set");
    args.push_back(s);
  }
  const std::string log = absl::StrCat(o.out, "/seed", seed, ".log");
  const pid_t pid = fork();
  if (pid != 0) return pid;
  const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv("/proc/self/exe", argv.data());
  std::perror("cairn-sim sweep: cannot start /proc/self/exe");
  _exit(2);
}

// Numbers of summary.json worth comparing across seeds: every figure of every check and
// every metric, plus the simulated time and event count (not the wall time).
void read_summary(const std::string& dir, SeedResult& r) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(dir + "/summary.json");
  } catch (const YAML::Exception&) {
    return;
  }
  auto number = [&](const std::string& column, const YAML::Node& n) {
    double v = 0;
    if (n.IsScalar() && absl::SimpleAtod(n.Scalar(), &v)) r.figures[column] = n.Scalar();
  };
  if (root["trace_hash"]) r.trace_hash = root["trace_hash"].Scalar();
  for (const char* key : {"sim_time_s", "events"}) {
    if (root[key]) number(key, root[key]);
  }
  for (const auto& c : root["checks"]) {
    const std::string name = c.first.Scalar();
    r.checks[name] = c.second["pass"].as<bool>(false);
    for (const auto& f : c.second["figures"])
      number(absl::StrCat(name, ".", f.first.Scalar()), f.second);
  }
  for (const auto& m : root["metrics"])
    number(absl::StrCat("metrics.", m.first.Scalar()), m.second);
}

// A word of a shell command, quoted when it needs to be.
std::string shell_word(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789._-/=:,+@") == std::string::npos) {
    return s;
  }
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  size_t rank = static_cast<size_t>(p * static_cast<double>(sorted.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

void write_csv(const SweepOptions& o, const std::vector<SeedResult>& results,
               const std::set<std::string>& checks, const std::set<std::string>& figures) {
  std::ofstream csv(o.out + "/sweep.csv");
  csv << "seed,exit";
  for (const std::string& c : checks) csv << "," << c;
  csv << ",trace_hash";
  for (const std::string& f : figures) csv << "," << f;
  csv << "\n";
  for (const SeedResult& r : results) {
    csv << r.seed << "," << r.status;
    for (const std::string& c : checks) {
      auto it = r.checks.find(c);
      csv << "," << (it == r.checks.end() ? "" : it->second ? "PASS" : "FAIL");
    }
    csv << "," << r.trace_hash;
    for (const std::string& f : figures) {
      auto it = r.figures.find(f);
      csv << "," << (it == r.figures.end() ? "" : it->second);
    }
    csv << "\n";
  }
}

// Runs every seed here, up to o.jobs at a time; fills each result's status.
bool run_local(const SweepOptions& o, std::vector<SeedResult>& results) {
  std::map<pid_t, size_t> running;  // pid -> index in results
  size_t next = 0;
  while (next < results.size() || !running.empty()) {
    while (next < results.size() && static_cast<int>(running.size()) < o.jobs) {
      const pid_t pid = start(o, results[next].seed);
      if (pid < 0) {
        std::perror("cairn-sim sweep: fork");
        return false;
      }
      running[pid] = next++;
    }
    int wstatus = 0;
    const pid_t pid = waitpid(-1, &wstatus, 0);
    if (pid < 0) break;
    auto it = running.find(pid);
    if (it == running.end()) continue;
    results[it->second].status =
        WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    running.erase(it);
  }
  return true;
}

// Draws DIR/sweep.png with analysis/plot_sweep.py, when Python's matplotlib is there; a
// plot that cannot be drawn is reported and does not change the sweep's verdict.
void plot(const SweepOptions& o) {
  const char* dir = std::getenv("CAIRN_ANALYSIS_DIR");
  const std::string script =
      absl::StrCat(dir != nullptr ? dir : CAIRN_ANALYSIS_DIR, "/plot_sweep.py");
  if (!std::filesystem::exists(script)) {
    std::printf("plot: not drawn (%s not found; set CAIRN_ANALYSIS_DIR)\n", script.c_str());
    return;
  }
  const std::string cmd =
      absl::StrCat("/usr/bin/python3 ", shell_word(script), " ", shell_word(o.out + "/sweep.csv"),
                   " >/dev/null 2>", shell_word(o.out + "/plot.log"));
  std::fflush(stdout);
  const int rc = std::system(cmd.c_str());
  if (rc == 0) {
    std::printf("plot: %s/sweep.png\n", o.out.c_str());
  } else {
    std::printf("plot: not drawn (see %s/plot.log)\n", o.out.c_str());
  }
}

// Prints the table, writes sweep.csv and the plot; returns the sweep's exit status.
int report(const SweepOptions& o, const std::vector<SeedResult>& results) {
  std::set<std::string> checks, figures;
  for (const SeedResult& r : results) {
    for (const auto& [name, pass] : r.checks) checks.insert(name);
    for (const auto& [name, value] : r.figures) figures.insert(name);
  }
  write_csv(o, results, checks, figures);

  const size_t n = results.size();
  size_t ok = 0;
  for (const SeedResult& r : results) ok += r.status == 0 ? 1 : 0;
  std::printf("%s: seeds %llu..%llu, %zu of %zu passed every check\n", o.scenario.c_str(),
              static_cast<unsigned long long>(o.first_seed),
              static_cast<unsigned long long>(o.last_seed), ok, n);
  std::printf("\n%-40s %s\n", "check", "pass rate");
  for (const std::string& c : checks) {
    size_t pass = 0;
    for (const SeedResult& r : results) pass += r.checks.contains(c) && r.checks.at(c) ? 1 : 0;
    std::printf("%-40s %zu/%zu\n", c.c_str(), pass, n);
  }
  std::printf("\n%-40s %12s %12s %12s\n", "figure", "p50", "p90", "max");
  for (const std::string& f : figures) {
    std::vector<double> values;
    for (const SeedResult& r : results) {
      double v = 0;
      if (r.figures.contains(f) && absl::SimpleAtod(r.figures.at(f), &v)) values.push_back(v);
    }
    if (values.empty()) continue;
    std::sort(values.begin(), values.end());
    std::printf("%-40s %12.6g %12.6g %12.6g\n", f.c_str(), percentile(values, 0.5),
                percentile(values, 0.9), values.back());
  }
  if (ok < n) std::printf("\nfailing seeds (replay each with the command shown):\n");
  for (const SeedResult& r : results) {
    if (r.status == 0) continue;
    std::vector<std::string> failed;
    for (const auto& [name, pass] : r.checks) {
      if (!pass) failed.push_back(name);
    }
    std::string replay = absl::StrCat("cairn-sim run ", shell_word(o.scenario), " --seed ", r.seed);
    for (const std::string& s : o.set_args) absl::StrAppend(&replay, " --set ", shell_word(s));
    std::printf("  seed %llu: exit %d%s%s\n    %s\n", static_cast<unsigned long long>(r.seed),
                r.status, failed.empty() ? "" : ", failed ", absl::StrJoin(failed, ", ").c_str(),
                replay.c_str());
  }
  std::printf("\nper seed: %s/sweep.csv\n", o.out.c_str());
  plot(o);
  return ok == n ? 0 : 1;
}

}  // namespace

int run_sweep(const SweepOptions& o) {
  std::error_code ec;
  std::filesystem::create_directories(o.out, ec);
  if (ec) {
    std::cerr << o.out << ": cannot create the sweep folder: " << ec.message() << "\n";
    return 2;
  }
  std::vector<SeedResult> results;
  for (uint64_t s = o.first_seed;; ++s) {
    results.push_back({.seed = s});
    if (s == o.last_seed) break;
  }
  if (o.slurm) {
    std::vector<uint64_t> seeds;
    for (const SeedResult& r : results) seeds.push_back(r.seed);
    auto statuses = run_on_slurm(o, seeds);
    if (!statuses.ok()) {
      std::cerr << "cairn-sim sweep --slurm: " << statuses.status().message() << "\n";
      return 2;
    }
    for (size_t i = 0; i < results.size(); ++i) results[i].status = (*statuses)[i];
  } else if (!run_local(o, results)) {
    return 2;
  }
  for (SeedResult& r : results) read_summary(seed_dir(o, r.seed), r);
  return report(o, results);
}

}  // namespace cairn::sim
