// Invariant checks that stay on in every build (simulation, tests and release alike).
//
// A failed CAIRN_ASSERT means Cairn's own logic is wrong — never bad input, which must be
// reported as an absl::Status instead. It prints the condition and location, then aborts,
// so that a simulation run stops at the first broken invariant with its seed on screen.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace cairn::detail {
[[noreturn]] inline void assert_fail(const char* cond, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: invariant violated: %s\n", file, line, cond);
  std::fflush(stderr);
  std::abort();
}
}  // namespace cairn::detail

#define CAIRN_ASSERT(cond) \
  ((cond) ? static_cast<void>(0) : ::cairn::detail::assert_fail(#cond, __FILE__, __LINE__))
