#include "runtime-real/host/huge_pages.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace cairn::real {
namespace {

constexpr const char* kTunable = "glibc.malloc.hugetlb";

// "always [madvise] never": huge pages can be had on request unless "never" is chosen.
bool kernel_offers_huge_pages() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  if (!std::getline(in, modes)) return false;
  return modes.find("[never]") == std::string::npos;
}

}  // namespace

void use_huge_pages_for_malloc(char** argv) {
  const char* current = std::getenv("GLIBC_TUNABLES");
  const std::string tunables = current != nullptr ? current : "";
  if (tunables.find(kTunable) != std::string::npos) return;  // set, or opted out
  if (!kernel_offers_huge_pages()) return;
  const std::string wanted =
      tunables.empty() ? std::string(kTunable) + "=1" : tunables + ":" + kTunable + "=1";
  if (setenv("GLIBC_TUNABLES", wanted.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  // Still here: the exec failed. Run without; leave the variable so children do not retry.
}

}  // namespace cairn::real
