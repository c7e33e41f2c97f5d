#include "runtime-sim/sweep_slurm.h"

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/base/assert.h"

namespace cairn::sim {
namespace {

// A word for the shell, always single-quoted.
std::string quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string absolute(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path p = std::filesystem::absolute(path, ec);
  return ec ? path : p.lexically_normal().string();
}

std::string this_binary() {
  std::error_code ec;
  const std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("cairn-sim") : p.string();
}

uint64_t task_count(const SweepOptions& o) {
  const uint64_t per = static_cast<uint64_t>(o.seeds_per_task);
  return (o.last_seed - o.first_seed) / per + 1;
}

}  // namespace

std::string slurm_script(const SweepOptions& o, const std::string& binary) {
  CAIRN_ASSERT(o.seeds_per_task >= 1);
  CAIRN_ASSERT(o.first_seed <= o.last_seed);
  const std::string dir = absolute(o.out);
  std::string run = absl::StrCat(quoted(binary), " run ", quoted(absolute(o.scenario)),
                                 " --seed \"$s\" --out ", quoted(dir), "/seed\"$s\" --no-progress");
  for (const std::string& s : o.set_args) absl::StrAppend(&run, " --set ", quoted(s));
  return absl::StrCat(
      "#!/bin/sh\n",
      "# Written by cairn-sim sweep --slurm: task i runs seeds first + i*per .. (at most) last.\n",
      "#SBATCH --job-name=cairn-sweep\n", "#SBATCH --array=0-", task_count(o) - 1, "%", o.jobs,
      "\n", "#SBATCH --ntasks=1\n", "#SBATCH --cpus-per-task=1\n", "#SBATCH --output=", dir,
      "/slurm-%A_%a.out\n", "first=", o.first_seed, " last=", o.last_seed,
      " per=", o.seeds_per_task, "\n", "s=$((first + SLURM_ARRAY_TASK_ID * per))\n", "n=0\n",
      "while [ \"$n\" -lt \"$per\" ] && [ \"$s\" -le \"$last\" ]; do\n", "  ", run, " >",
      quoted(dir), "/seed\"$s\".log 2>&1\n", "  echo $? >", quoted(dir), "/seed\"$s\".exit\n",
      "  [ \"$s\" -eq \"$last\" ] && break\n", "  s=$((s + 1)) n=$((n + 1))\n", "done\n");
}

absl::StatusOr<std::vector<int>> run_on_slurm(const SweepOptions& o,
                                              const std::vector<uint64_t>& seeds) {
  CAIRN_ASSERT(!seeds.empty());
  const std::string script = o.out + "/sweep.sbatch";
  for (uint64_t s : seeds) std::filesystem::remove(absl::StrCat(o.out, "/seed", s, ".exit"));
  {
    std::ofstream f(script);
    f << slurm_script(o, this_binary());
    if (!f) return absl::UnavailableError(absl::StrCat("cannot write ", script));
  }
  const std::string cmd =
      absl::StrCat("sbatch --parsable --wait ", quoted(absolute(script)), " 2>&1");
  std::fprintf(stderr, "submitting %s (%llu array tasks) and waiting for it\n", script.c_str(),
               static_cast<unsigned long long>(task_count(o)));
  std::fflush(stdout);
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return absl::UnavailableError("cannot start sbatch");
  std::string said;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) said += buf;
  const int rc = pclose(pipe);
  uint64_t job = 0;
  const std::string first_line(absl::StripAsciiWhitespace(said.substr(0, said.find('\n'))));
  if (!absl::SimpleAtoi(first_line.substr(0, first_line.find(';')), &job)) {
    return absl::UnavailableError(absl::StrCat(
        "sbatch did not take the job (exit ", rc == -1 ? -1 : WEXITSTATUS(rc), "): ",
        absl::StripAsciiWhitespace(said).empty() ? "no output; is Slurm installed?"
                                                 : std::string(absl::StripAsciiWhitespace(said))));
  }
  std::fprintf(stderr, "Slurm job %llu ended\n", static_cast<unsigned long long>(job));
  std::vector<int> statuses;
  for (uint64_t s : seeds) {
    std::ifstream f(absl::StrCat(o.out, "/seed", s, ".exit"));
    int status = -1;
    if (!(f >> status)) status = -1;
    statuses.push_back(status);
  }
  return statuses;
}

}  // namespace cairn::sim
